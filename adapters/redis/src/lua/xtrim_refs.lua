-- XTRIM with DELREF or ACKED for servers before Redis 8.2. KEYS[1] the stream;
-- ARGV: strategy (MAXLEN/MINID), threshold, policy, limit (0: none).
local t = stream_or_none(KEYS[1])
if type(t) == 'table' then return t end
if t == 'none' then return 0 end
return trim(KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]))
