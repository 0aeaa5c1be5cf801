import { type RedisClient, RedisScript } from "../redis/client.js";
import { type Bucket, blockMs, keepBlockedMs, keepMs, type TokenBuckets } from "./token-bucket.js";

// Writes a bucket's fields and keeps the key at least `keep` ms from now. The expiry is set one
// keep further than needed and noted in the hash ('exp'), so the takes that follow within that
// keep write no PEXPIRE: one command less per bucket and take. A key's expiry only lengthens
// (PEXPIRE GT), so a block's longer keep survives; a new key has none yet and gets one.
const KEEP_FOR = `local function keepFor(key, fresh, expires, now, keep, ...)
  if not fresh and now + keep <= expires then
    redis.call('HSET', key, ...)
    return
  end
  redis.call('HSET', key, 'exp', string.format('%d', now + 2 * keep), ...)
  if fresh then redis.call('PEXPIRE', key, 2 * keep) else redis.call('PEXPIRE', key, 2 * keep, 'GT') end
end
`;

// Redis's clock in ms: every instance's scripts agree on it.
const NOW_MS = `local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// One bucket as stored: a missing one reads full (burst tokens, now).
const READ_BUCKET = `local function readBucket(key, now, burst)
  local h = redis.call('HMGET', key, 'tokens', 'ts', 'blocked', 'exp')
  local tk, ts = tonumber(h[1]), tonumber(h[2])
  local fresh = tk == nil or ts == nil
  if fresh then tk = burst; ts = now end
  return tk, ts, tonumber(h[3]) or 0, tonumber(h[4]) or 0, fresh
end
`;

// Every bucket of one take in one atomic step, on Redis's clock so instances with skewed clocks
// agree. Same arithmetic as token-bucket.ts (refill, block, take from all or none); ARGV holds
// rate, burst and keep (ms) per key. Keys are kept up to twice as long as needed (keepFor): a
// full bucket is the same as none, so the longer keep changes no answer.
const TAKE = new RedisScript(`
${KEEP_FOR}
${NOW_MS}
${READ_BUCKET}
local now = nowMs()
local tokens, fresh, expires = {}, {}, {}
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local tk, ts, blocked
  tk, ts, blocked, expires[i], fresh[i] = readBucket(KEYS[i], now, burst)
  tk = math.min(burst, tk + math.max(0, now - ts) / 1000 * rate)
  tokens[i] = tk
  local w = math.max(0, blocked - now)
  if tk < 1 then w = math.max(w, math.ceil((1 - tk) / rate * 1000)) end
  if w > wait then wait = w end
end
for i = 1, #KEYS do
  local tk = tokens[i]
  if wait == 0 then tk = tk - 1 end
  keepFor(KEYS[i], fresh[i], expires[i], now, tonumber(ARGV[i * 3]),
    'tokens', string.format('%.6f', tk), 'ts', string.format('%d', now))
end
return wait
`);

// reserveAll (token-bucket.ts) in Lua: the earliest moment every bucket has a token, booked.
// ARGV as TAKE's. A bucket's ts may lie in the future: it is booked until then.
const RESERVE = new RedisScript(`
${KEEP_FOR}
${NOW_MS}
${READ_BUCKET}
local now = nowMs()
local at = now
local tokens, ts, fresh, expires = {}, {}, {}, {}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local tk, t0, blocked
  tk, t0, blocked, expires[i], fresh[i] = readBucket(KEYS[i], now, burst)
  if now > t0 then tk = math.min(burst, tk + (now - t0) / 1000 * rate); t0 = now end
  tokens[i] = tk
  ts[i] = t0
  local ready = t0
  if tk < 1 then ready = t0 + (1 - tk) / rate * 1000 end
  at = math.max(at, ready, blocked)
end
local wait = math.ceil(at - now)
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local tk = math.min(burst, tokens[i] + (at - ts[i]) / 1000 * rate) - 1
  keepFor(KEYS[i], fresh[i], expires[i], now, tonumber(ARGV[i * 3]) + wait,
    'tokens', string.format('%.6f', tk), 'ts', string.format('%d', math.ceil(at)))
end
return wait
`);

// ARGV: block ms, keep ms.
const BLOCK = new RedisScript(`
${NOW_MS}
local now = nowMs()
local untilMs = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if untilMs > blocked then redis.call('HSET', KEYS[1], 'blocked', string.format('%d', untilMs)) end
local keep = tonumber(ARGV[2])
if redis.call('HEXISTS', KEYS[1], 'tokens') == 0 then
  redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', string.format('%d', now))
  redis.call('PEXPIRE', KEYS[1], keep)
else
  redis.call('PEXPIRE', KEYS[1], keep, 'GT')
end
return 1
`);

/**
 * Token buckets in Redis, shared by every instance of a service. `keyOf` names a bucket's key
 * (from events/names.ts), so each service keeps its own key space.
 */
export class RedisTokenBuckets implements TokenBuckets {
  constructor(
    private readonly client: RedisClient,
    private readonly keyOf: (bucket: string) => string,
  ) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.map((b) => this.keyOf(b.key));
    const args = buckets.flatMap((b) => [b.ratePerSec, b.burst, keepMs(b)]);
    return Number(await TAKE.run<number>(this.client, keys, args));
  }

  async reserve(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.map((b) => this.keyOf(b.key));
    const args = buckets.flatMap((b) => [b.ratePerSec, b.burst, keepMs(b)]);
    return Number(await RESERVE.run<number>(this.client, keys, args));
  }

  async block(key: string, ms: number): Promise<void> {
    await BLOCK.run<number>(this.client, [this.keyOf(key)], [blockMs(ms), keepBlockedMs(ms)]);
  }
}
