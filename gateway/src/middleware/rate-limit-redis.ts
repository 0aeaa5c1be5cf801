import { type RedisClient, RedisScript } from "@flank/shared";
import type { Bucket, TokenBucketLimiter } from "./rate-limit.js";

/**
 * PUBLIC CONTRACT (belongs with shared/src/events/names.ts): the Redis key of an API rate-limit
 * bucket, shared by every gateway instance. Renaming it resets every limit during a deploy.
 */
export const apiRateLimitKey = (bucket: string): string => `flank:ratelimit:api:${bucket}`;

// Every bucket of one request in one atomic step, on Redis's clock so instances with skewed
// clocks agree. Same arithmetic as rate-limit.ts: refill, then take from all or from none.
const TAKE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  local h = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local tk = tonumber(h[1])
  local ts = tonumber(h[2])
  if tk == nil or ts == nil then tk = burst; ts = now end
  tk = math.min(burst, tk + math.max(0, now - ts) / 1000 * rate)
  tokens[i] = tk
  if tk < 1 then
    local w = math.ceil((1 - tk) / rate * 1000)
    if w > wait then wait = w end
  end
end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 2 - 1])
  local burst = tonumber(ARGV[i * 2])
  local tk = tokens[i]
  if wait == 0 then tk = tk - 1 end
  redis.call('HSET', KEYS[i], 'tokens', string.format('%.6f', tk), 'ts', string.format('%d', now))
  -- Gone once it would be full again: a full bucket is the same as none.
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
end
return wait
`);

/** Token buckets in Redis, so several gateway instances share one limit per key and per address. */
export class RedisTokenBucketLimiter implements TokenBucketLimiter {
  constructor(
    private readonly client: RedisClient,
    /** Test isolation; production leaves it empty. */
    private readonly prefix = "",
  ) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    const keys = buckets.map((b) => apiRateLimitKey(`${this.prefix}${b.key}`));
    const args = buckets.flatMap((b) => [b.ratePerSec, b.burst]);
    return Number(await TAKE.run<number>(this.client, keys, args));
  }
}
