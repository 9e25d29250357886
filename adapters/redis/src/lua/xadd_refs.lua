-- XADD … MAXLEN|MINID … DELREF|ACKED for servers before Redis 8.2: the XADD (given
-- without its trimming in ARGV[5…]), then the trim, atomically. KEYS[1] the stream;
-- ARGV[1…4]: strategy, threshold, policy, limit (0: none). No type check of its own:
-- XADD makes its checks in Redis's order (an explicit 0-0 ID before the key's type).
local xadd = { 'XADD', KEYS[1] }
for i = 5, #ARGV do xadd[#xadd + 1] = ARGV[i] end
-- pcall: XADD's own error goes back as XADD gives it (a raised error would carry the
-- script's location in its text).
local id = redis.pcall(unpack(xadd))
if type(id) == 'table' and id.err then return id end
if id then trim(KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])) end
return id
