-- The conditional operations (brook's ack-if-owner, touch-if-owner, ack-if-owner then
-- add, delete-consumer-if-empty), each one script so nothing runs between the owner check and the change.
-- KEYS[1] the stream (KEYS[2] the target of an add); ARGV[1] the operation, ARGV[2]
-- group, ARGV[3] consumer; then the IDs (ack, touch) or the ID and field/value pairs
-- (add); nothing more for delconsumer.
local key, op, group, consumer = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local t = stream_or_none(key)
if type(t) == 'table' then return t end
local exists = false
if t == 'stream' then
  for _, g in ipairs(groups(key)) do
    if g.name == group then exists = true end
  end
end
if not exists then
  return redis.error_reply("NOGROUP No such key '" .. key .. "' or consumer group '" .. group .. "'")
end
local function owns(id)
  local p = redis.call('XPENDING', key, group, id, id, 1)
  return #p > 0 and p[1][2] == consumer
end
if op == 'delconsumer' then
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
    local name, pending
    for i = 1, #c, 2 do
      if c[i] == 'name' then name = c[i + 1] end
      if c[i] == 'pending' then pending = c[i + 1] end
    end
    if name == consumer and pending == 0 then
      redis.call('XGROUP', 'DELCONSUMER', key, group, consumer)
      return 1
    end
  end
  return 0
end
if op == 'add' then
  local id = ARGV[4]
  if not owns(id) then return false end
  local xadd = { 'XADD', KEYS[2], '*' }
  for i = 5, #ARGV do xadd[#xadd + 1] = ARGV[i] end
  local added = redis.pcall(unpack(xadd))
  if type(added) == 'table' and added.err then return added end
  redis.call('XACK', key, group, id)
  return added
end
local mine = {}
for i = 4, #ARGV do
  if owns(ARGV[i]) then mine[#mine + 1] = ARGV[i] end
end
if #mine == 0 then return 0 end
if op == 'ack' then
  return redis.call('XACK', key, group, unpack(mine))
end
local xclaim = { 'XCLAIM', key, group, consumer, 0 }
for _, id in ipairs(mine) do xclaim[#xclaim + 1] = id end
xclaim[#xclaim + 1] = 'JUSTID'
redis.call(unpack(xclaim))
return #mine
