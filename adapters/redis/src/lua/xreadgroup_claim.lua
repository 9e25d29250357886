-- XREADGROUP GROUP g c [COUNT n] CLAIM min-idle [NOACK] STREAMS k… id… without BLOCK,
-- for servers before Redis 8.4 (reference §11.2–§11.6). KEYS: the streams; ARGV[1]
-- group, ARGV[2] consumer, ARGV[3] COUNT (0: none), ARGV[4] NOACK (1/0), ARGV[5]
-- min-idle-time, ARGV[6…] one ID per key ('>' or an explicit ID).
local group, consumer = ARGV[1], ARGV[2]
local count, noack, min_idle = tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
-- Validation first, every stream, as XREADGROUP does before running any.
for _, key in ipairs(KEYS) do
  local t = stream_or_none(key)
  if type(t) == 'table' then return t end
  local found = false
  if t == 'stream' then
    for _, g in ipairs(groups(key)) do
      if g.name == group then found = true end
    end
  end
  if not found then
    return redis.error_reply("NOGROUP No such key '" .. key .. "' or consumer group '" .. group ..
      "' in XREADGROUP with GROUP option")
  end
end
local function read(key, id, n)
  local args = { 'XREADGROUP', 'GROUP', group, consumer }
  if n > 0 then
    args[#args + 1] = 'COUNT'
    args[#args + 1] = n
  end
  if noack then args[#args + 1] = 'NOACK' end
  args[#args + 1] = 'STREAMS'
  args[#args + 1] = key
  args[#args + 1] = id
  local r = redis.call(unpack(args))
  if r then return r[1][2] end
  return nil
end
local out = {}
-- An explicit ID turns CLAIM off for its stream and every later one (§11.6).
local claim_on = true
for i, key in ipairs(KEYS) do
  local id = ARGV[5 + i]
  if id ~= '>' then claim_on = false end
  if not claim_on then
    local entries = read(key, id, count)
    if entries then out[#out + 1] = { key, entries } end
  else
    local last = nil
    for _, g in ipairs(groups(key)) do
      if g.name == group then last = g.last end
    end
    local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
    local has_new = top ~= nil and idcmp(top[1], last) > 0
    -- The PEL by delivery time, oldest first (idle descending; equal idle by ID).
    local pel = redis.call('XPENDING', key, group, '-', '+', 2147483647)
    table.sort(pel, function(a, b)
      if a[3] ~= b[3] then return a[3] > b[3] end
      return idcmp(a[1], b[1]) < 0
    end)
    local budget = (count > 0) and count or math.huge
    local entries = {}
    for _, p in ipairs(pel) do
      local e = redis.call('XRANGE', key, p[1], p[1])[1]
      -- Entries gone from the stream are skipped and left pending.
      if e then
        if p[3] < min_idle or #entries >= budget then break end
        redis.call('XCLAIM', key, group, consumer, 0, p[1])
        entries[#entries + 1] = { p[1], e[2], p[3], p[4] }
      end
    end
    local claimed = #entries
    if has_new and claimed < budget then
      local new = read(key, '>', (count > 0) and (budget - claimed) or 0)
      for _, e in ipairs(new or {}) do
        entries[#entries + 1] = { e[1], e[2], 0, 0 }
      end
    elseif claimed == 0 then
      -- Served nothing: still creates the consumer and refreshes its seen-time.
      read(key, '>', count)
    end
    if #entries > 0 then out[#out + 1] = { key, entries } end
  end
end
if #out == 0 then return false end
return out
