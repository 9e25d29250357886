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
-- Trimming with a reference policy (reference §3.2), entry by entry from the head:
-- MAXLEN until the length is `threshold`, MINID below `threshold`; ACKED skips
-- referenced entries (and goes on past them), DELREF purges each ID from every PEL.
-- `limit` (0: none) caps the entries removed. Trimming does not move
-- max-deleted-entry-id: the removed prefix goes with XTRIM (which does not either);
-- entries after an ACKED hole need XDEL, after which max-deleted-entry-id is put back
-- when it was set before (a server ignores MAXDELETEDID 0-0). Returns the count removed.
local function trim(key, strategy, threshold, policy, limit)
  local info = redis.call('XINFO', 'STREAM', key)
  local rec = {}
  for i = 1, #info, 2 do rec[info[i]] = info[i + 1] end
  local len = rec['length']
  local gs = groups(key)
  local doomed, prefix = {}, 0
  local in_prefix = true
  local cursor = '-'
  local n = tonumber(threshold)
  while true do
    local batch = redis.call('XRANGE', key, cursor, '+', 'COUNT', 100)
    if #batch == 0 then break end
    local done = false
    for _, e in ipairs(batch) do
      local id = e[1]
      if (strategy == 'MAXLEN' and len <= n)
        or (strategy == 'MINID' and idcmp(id, threshold) >= 0)
        or (limit > 0 and #doomed >= limit) then
        done = true
        break
      end
      if policy == 'ACKED' and referenced(key, gs, id) then
        in_prefix = false
      else
        doomed[#doomed + 1] = id
        if in_prefix then prefix = #doomed end
        len = len - 1
      end
    end
    if done then break end
    cursor = '(' .. batch[#batch][1]
  end
  if policy == 'DELREF' then
    for _, id in ipairs(doomed) do
      for _, g in ipairs(gs) do redis.call('XACK', key, g.name, id) end
    end
  end
  if prefix > 0 then
    local after = redis.call('XRANGE', key, '(' .. doomed[prefix], '+', 'COUNT', 1)[1]
    if after then
      redis.call('XTRIM', key, 'MINID', '=', after[1])
    else
      redis.call('XTRIM', key, 'MAXLEN', '=', 0)
    end
  end
  for i = prefix + 1, #doomed do redis.call('XDEL', key, doomed[i]) end
  if #doomed > prefix and rec['max-deleted-entry-id'] ~= '0-0' then
    redis.call('XSETID', key, rec['last-generated-id'], 'MAXDELETEDID', rec['max-deleted-entry-id'])
  end
  return #doomed
end
