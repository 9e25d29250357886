-- XACKDEL key group [KEEPREF|DELREF|ACKED] IDS n id… for servers before Redis 8.2
-- (reference §13). KEYS[1] the stream; ARGV[1] the group; ARGV[2] the policy; ARGV[3…]
-- the IDs.
local key, group, policy = KEYS[1], ARGV[1], ARGV[2]
-- No IDs: what Redis 8.2 answers `XACKDEL key group [DELREF | ACKED] IDS 0` (without
-- a policy keyword it is short of the arity); the count is refused after the type check
-- and before the key or group is looked for.
if #ARGV == 2 and policy == 'KEEPREF' then
  return redis.error_reply("ERR wrong number of arguments for 'xackdel' command")
end
local t = stream_or_none(key)
if type(t) == 'table' then return t end
if #ARGV == 2 then return redis.error_reply('ERR Number of IDs must be a positive integer') end
if t == 'none' then return all_missing(#ARGV - 2) end
local gs = groups(key)
local exists = false
for _, g in ipairs(gs) do
  if g.name == group then exists = true end
end
if not exists then return all_missing(#ARGV - 2) end
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if not pending_in(key, group, id) then
    out[#out + 1] = -1
  else
    redis.call('XACK', key, group, id)
    if policy == 'ACKED' and referenced(key, gs, id) then
      out[#out + 1] = 2
    else
      if policy == 'DELREF' then
        for _, g in ipairs(gs) do redis.call('XACK', key, g.name, id) end
      end
      redis.call('XDEL', key, id)
      out[#out + 1] = 1
    end
  end
end
return out
