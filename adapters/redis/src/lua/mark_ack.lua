-- mark-and-ack-if-new (brook's idempotent commit), one script so nothing runs between
-- the marker check and the writes. KEYS[1] the stream, KEYS[2] the marker; ARGV[1]
-- group, ARGV[2] the entry ID, ARGV[3] how long the marker lives (ms), ARGV[4] how many
-- writes follow, then each write as its kind, its argument count and its arguments: kind
-- '' is a command (its argument vector, run with redis.pcall); any other kind names a
-- fallback in `fallbacks` (defined before this part when a write needs one), whose
-- arguments are its key count, its keys and its own arguments — the Lua a server
-- without the command runs, here as a function, for a script cannot call EVAL.
-- Replies nil for a duplicate, else the writes' replies, an error as
-- {'\0brook-error', text} in its place (a client library would turn an error nested in
-- a reply into a failure of the whole script).
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return false end
local out, i = {}, 5
for n = 1, tonumber(ARGV[4]) do
  local kind, argc = ARGV[i], tonumber(ARGV[i + 1])
  local a = {}
  for j = 1, argc do a[j] = ARGV[i + 1 + j] end
  i = i + argc + 2
  local r
  if kind == '' then
    r = redis.pcall(unpack(a))
  else
    local nkeys = tonumber(a[1])
    local keys, args = {}, {}
    for j = 1, nkeys do keys[j] = a[1 + j] end
    for j = nkeys + 2, argc do args[#args + 1] = a[j] end
    -- A redis.call that fails inside the fallback raises: its text answers in place.
    local ok, res = pcall(fallbacks[kind], keys, args)
    if ok then
      r = res
    elseif type(res) == 'table' and res.err then
      r = res
    else
      r = { err = tostring(res) }
    end
  end
  if type(r) == 'table' and r.err then r = { '\0brook-error', r.err } end
  out[n] = r
end
return out
