import { type RedisClient, RedisScript } from "@flank/shared";
import type { Bucket, RateLimiter } from "./rate-limiter.js";
import { redisRateLimitKey as rateLimitKey } from "@flank/shared";

// All buckets of one send in one atomic step, on Redis's clock so instances with skewed clocks
// agree. Same arithmetic as rate-limiter.ts (refill, block, take all or none).
const TAKE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  local h = redis.call('HMGET', KEYS[i], 'tokens', 'ts', 'blocked')
  local tk = tonumber(h[1])
  local ts = tonumber(h[2])
  local blocked = tonumber(h[3]) or 0
  if tk == nil then tk = burst; ts = now end
  tk = math.min(burst, tk + math.max(0, now - ts) / 1000 * rate)
  tokens[i] = tk
  local w = 0
  if blocked > now then w = blocked - now end
  if tk < 1 then w = math.max(w, math.ceil((1 - tk) / rate * 1000)) end
  if w > wait then wait = w end
end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  local tk = tokens[i]
  if wait == 0 then tk = tk - 1 end
  redis.call('HSET', KEYS[i], 'tokens', string.format('%.6f', tk), 'ts', string.format('%d', now))
  local ttl = math.ceil(burst / rate * 1000) + 60000
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return wait
`);

const BLOCK = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if untilMs > blocked then redis.call('HSET', KEYS[1], 'blocked', string.format('%d', untilMs)) end
if redis.call('HEXISTS', KEYS[1], 'tokens') == 0 then
  redis.call('HSET', KEYS[1], 'tokens', '0', 'ts', string.format('%d', now))
end
local ttl = tonumber(ARGV[1]) + 60000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/** Token buckets in Redis, shared by every responder instance. */
export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly client: RedisClient) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.map((b) => rateLimitKey(b.key));
    const args = buckets.flatMap((b) => [b.ratePerSec, b.burst]);
    return Number(await TAKE.run<number>(this.client, keys, args));
  }

  async block(key: string, ms: number): Promise<void> {
    await BLOCK.run<number>(this.client, [rateLimitKey(key)], [Math.max(0, Math.round(ms))]);
  }
}
