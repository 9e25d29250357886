-- XDELEX key [KEEPREF|DELREF|ACKED] IDS n id… for servers before Redis 8.2 (reference
-- §8). KEYS[1] the stream; ARGV[1] the policy; ARGV[2…] the IDs.
local key, policy = KEYS[1], ARGV[1]
local t = stream_or_none(key)
if type(t) == 'table' then return t end
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
