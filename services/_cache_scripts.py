"""The Lua scripts of the value cache (services/cache.py): one call per loader batch each,
instead of a command per key. Every key a script touches is passed in KEYS.
"""

# Read a batch, locking what is missing. KEYS: the entries, then their lock keys in the same
# order. ARGV[1]: lock lifetime (ms). For each entry: its value; 1 when this caller took the
# lock (and computes it); 0 when another replica holds it.
GET_OR_LOCK = """
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local value = redis.call('GET', KEYS[i])
  if value then
    out[i] = value
  elseif redis.call('SET', KEYS[n + i], '1', 'NX', 'PX', ARGV[1]) then
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""

# Store computed values and release locks. KEYS: the entries stored, then the lock keys to
# delete (every entry computed, stored or not: an error is not stored, and the next reader
# computes it again). ARGV[1]: TTL (s); ARGV[2..]: the values of the stored entries.
STORE = """
local stored = #ARGV - 1
for i = 1, stored do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[1])
end
for i = stored + 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return stored
"""
