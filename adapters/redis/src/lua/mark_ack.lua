-- mark-and-ack-if-new (brook's idempotent commit), one script so nothing runs between
-- the marker check and the writes. KEYS[1] the stream, KEYS[2] the marker; ARGV[1]
-- group, ARGV[2] the entry ID, ARGV[3] how long the marker lives (ms), ARGV[4] how many
-- writes follow, then each write as its argument count and its arguments. Replies nil
-- for a duplicate, else the writes' replies, an error as {'\0brook-error', text} in its
-- place (a client library would turn an error nested in a reply into a failure of the
-- whole script).
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return false end
local out, i = {}, 5
for n = 1, tonumber(ARGV[4]) do
  local argc = tonumber(ARGV[i])
  local cmd = {}
  for j = 1, argc do cmd[j] = ARGV[i + j] end
  i = i + argc + 1
  local r = redis.pcall(unpack(cmd))
  if type(r) == 'table' and r.err then r = { '\0brook-error', r.err } end
  out[n] = r
end
return out
