-- Shared by the XACKDEL and XDELEX fallbacks: stream IDs compared as numbers (Lua's
-- numbers are doubles, so the decimal strings are compared by length, then by text),
-- the stream's groups, and reference §3.3's "referenced": the stream has a group, and
-- the ID is above the smallest last-delivered-id or pending in some group.
local function numcmp(a, b)
  if #a ~= #b then return (#a < #b) and -1 or 1 end
  if a == b then return 0 end
  return (a < b) and -1 or 1
end
local function idcmp(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  local c = numcmp(am, bm)
  if c ~= 0 then return c end
  return numcmp(as, bs)
end
local function groups(key)
  local out = {}
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local rec = {}
    for i = 1, #g, 2 do rec[g[i]] = g[i + 1] end
    out[#out + 1] = { name = rec['name'], last = rec['last-delivered-id'] }
  end
  return out
end
local function pending_in(key, group, id)
  return #redis.call('XPENDING', key, group, id, id, 1) > 0
end
local function referenced(key, gs, id)
  if #gs == 0 then return false end
  local min = gs[1].last
  for _, g in ipairs(gs) do
    if idcmp(g.last, min) < 0 then min = g.last end
  end
  if idcmp(id, min) > 0 then return true end
  for _, g in ipairs(gs) do
    if pending_in(key, g.name, id) then return true end
  end
  return false
end
local function stream_or_none(key)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= 'stream' then
    return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
  end
  return t
end
local function all_missing(n)
  local out = {}
  for i = 1, n do out[i] = -1 end
  return out
end
