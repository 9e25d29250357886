-- XDELEX key [KEEPREF|DELREF|ACKED] IDS n id… for servers before Redis 8.2 (reference
-- §8). KEYS[1] the stream; ARGV[1] the policy; ARGV[2…] the IDs.
local key, policy = KEYS[1], ARGV[1]
-- No IDs: what Redis 8.2 answers `XDELEX key [DELREF | ACKED] IDS 0` (without a policy
-- keyword it is short of the arity); the count is refused after the type check and
-- before the key is looked for.
if #ARGV == 1 and policy == 'KEEPREF' then
  return redis.error_reply("ERR wrong number of arguments for 'xdelex' command")
end
local t = stream_or_none(key)
if type(t) == 'table' then return t end
if #ARGV == 1 then return redis.error_reply('ERR Number of IDs must be a positive integer') end
if t == 'none' then return all_missing(#ARGV - 1) end
local gs = groups(key)
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if policy == 'ACKED' and referenced(key, gs, id) then
    out[#out + 1] = 2
  else
    if policy == 'DELREF' then
      for _, g in ipairs(gs) do redis.call('XACK', key, g.name, id) end
    end
    out[#out + 1] = (redis.call('XDEL', key, id) == 1) and 1 or -1
  end
end
return out
