"""The Lua scripts of the version protocol (services/versions.py, docs/caching.md).

Each runs atomically in Redis. KEYS are always the dependency's pending key and its version
key (in that order).
"""

# The pending key is a hash: a "w:<id>" field per write in flight (so a retried command
# changes nothing), v (the newest version they committed) and unknown (one of them failed).
# The last write to end sets the version.
BEGIN = """
redis.call('HSET', KEYS[1], 'w:' .. ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
"""
# ARGV: write id, version ('' when unknown), 'max' (sequence numbers) or 'set' (tokens), TTL ms
END = """
redis.call('HDEL', KEYS[1], 'w:' .. ARGV[1])
if ARGV[2] == '' then
  redis.call('HSET', KEYS[1], 'unknown', 1)
elseif ARGV[3] == 'max' then
  local seen = tonumber(redis.call('HGET', KEYS[1], 'v'))
  if not seen or seen < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'v', ARGV[2]) end
else
  redis.call('HSET', KEYS[1], 'v', ARGV[2])
end
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 2) == 'w:' then return 0 end
end
local unknown = redis.call('HGET', KEYS[1], 'unknown')
local version = redis.call('HGET', KEYS[1], 'v')
redis.call('DEL', KEYS[1])
if unknown or not version then return 0 end
if ARGV[3] == 'max' then
  local current = tonumber(redis.call('GET', KEYS[2]))
  if current and current >= tonumber(version) then return 0 end
end
redis.call('SET', KEYS[2], version, 'PX', ARGV[4])
return 1
"""
# A version read from PostgreSQL: refused while a write is pending, never lower than Redis's.
REMEMBER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local current = tonumber(redis.call('GET', KEYS[2]))
if current and current > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"""
# The catalog token, a new one when none is stored and no catalog write is pending.
CATALOG_TOKEN = """
local current = redis.call('GET', KEYS[2])
if current then return current end
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""
