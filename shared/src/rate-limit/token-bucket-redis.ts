import { type RedisClient, type RedisClock, RedisScript } from "../redis/client.js";
import { BLOCKED_KEEP_MS, type Bucket, blockMs, keepMs, type TokenBuckets } from "./token-bucket.js";

// A bucket is one string, "tokens ts blocked" (tokens to 6 decimals, ts and blocked-until in whole
// ms), so a call reads all its buckets with one MGET and writes each with one SET ... PX: value and
// expiry in one command (a hash took HMGET + HSET per bucket, and PEXPIRE now and then).
// Anything else under the key (an older hash, garbage) reads as a missing bucket: MGET answers
// nil for a key that is not a string, where GET would fail, and SET replaces it whatever its type.
//
// Every script takes `now` as ARGV[1]: Redis's clock as estimated by RedisClock
// (shared/src/redis/clock.ts), so every instance still reads one clock without a TIME per run.
const PRELUDE = `
local now = tonumber(ARGV[1])

-- One bucket as stored, or nil when there is none in this format.
local function parse(raw)
  if not raw then return nil end
  local tk, ts, blocked = string.match(raw, '^(%-?[%d%.]+) (%d+) (%d+)$')
  tk, ts, blocked = tonumber(tk), tonumber(ts), tonumber(blocked)
  if tk == nil or ts == nil or blocked == nil then return nil end
  return tk, ts, blocked
end

-- As parse, but a missing bucket reads full (burst tokens, now, not blocked).
local function readBucket(raw, burst)
  local tk, ts, blocked = parse(raw)
  if tk == nil then return burst, now, 0 end
  return tk, ts, blocked
end

-- Writes a bucket and keeps it \`keep\` ms, and never less than a minute past its block
-- (keepBlockedMs in token-bucket.ts): derived from the blocked-until time it carries, so a take
-- that rewrites a blocked bucket keeps the block's keep without reading the key's TTL.
local function write(key, tk, ts, blocked, keep)
  keep = math.max(keep, blocked + ${BLOCKED_KEEP_MS} - now)
  redis.call('SET', key, string.format('%.6f %d %d', tk, ts, blocked), 'PX', string.format('%d', math.ceil(keep)))
end
`;

// Every bucket of one take in one atomic step: EVALSHA, MGET, one SET per bucket. Same
// arithmetic as takeAll (token-bucket.ts): refill, block, take from all or none. ARGV: now, then
// rate, burst and keep (keepMs, ms) per key. A key is kept until its bucket would be full again (a
// full bucket is the same as none), which the state just written decides, so a take may shorten
// a longer keep left by an earlier reservation without changing any answer.
const TAKE = new RedisScript(`
${PRELUDE}
local raws = redis.call('MGET', unpack(KEYS))
local tokens, blocks = {}, {}
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 1])
  local burst = tonumber(ARGV[i * 3])
  local tk, ts, blocked = readBucket(raws[i], burst)
  tk = math.min(burst, tk + math.max(0, now - ts) / 1000 * rate)
  tokens[i] = tk
  blocks[i] = blocked
  local w = math.max(0, blocked - now)
  if tk < 1 then w = math.max(w, math.ceil((1 - tk) / rate * 1000)) end
  if w > wait then wait = w end
end
for i = 1, #KEYS do
  local tk = tokens[i]
  if wait == 0 then tk = tk - 1 end
  write(KEYS[i], tk, now, blocks[i], tonumber(ARGV[i * 3 + 1]))
end
return wait
`);

// reserveAll (token-bucket.ts) in Lua: the earliest moment every bucket has a token, booked.
// ARGV as TAKE's. A bucket's ts may lie in the future: it is booked until then, and kept one keep
// past it.
const RESERVE = new RedisScript(`
${PRELUDE}
local raws = redis.call('MGET', unpack(KEYS))
local at = now
local tokens, ts, blocks = {}, {}, {}
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 1])
  local burst = tonumber(ARGV[i * 3])
  local tk, t0, blocked = readBucket(raws[i], burst)
  if now > t0 then tk = math.min(burst, tk + (now - t0) / 1000 * rate); t0 = now end
  tokens[i] = tk
  ts[i] = t0
  blocks[i] = blocked
  local ready = t0
  if tk < 1 then ready = t0 + (1 - tk) / rate * 1000 end
  at = math.max(at, ready, blocked)
end
local wait = math.ceil(at - now)
for i = 1, #KEYS do
  local rate = tonumber(ARGV[i * 3 - 1])
  local burst = tonumber(ARGV[i * 3])
  local tk = math.min(burst, tokens[i] + (at - ts[i]) / 1000 * rate) - 1
  write(KEYS[i], tk, math.ceil(at), blocks[i], tonumber(ARGV[i * 3 + 1]) + wait)
end
return wait
`);

// ARGV: now, block ms. A bucket nobody has drawn from starts empty; a block never shortens
// another, nor the keep a take left (the bucket may take longer to refill than the block's keep;
// blocks are rare, so the PTTL is not on the hot path).
const BLOCK = new RedisScript(`
${PRELUDE}
local untilMs = now + tonumber(ARGV[2])
local tk, ts, blocked = parse(redis.call('MGET', KEYS[1])[1])
local keep = 0
if tk == nil then
  tk, ts, blocked = 0, now, untilMs
else
  blocked = math.max(blocked, untilMs)
  keep = redis.call('PTTL', KEYS[1])
end
write(KEYS[1], tk, ts, blocked, keep)
return 1
`);

/**
 * Token buckets in Redis, shared by every instance of a service. `keyOf` names a bucket's key
 * (from events/names.ts), so each service keeps its own key space; `clock` is the process's
 * estimate of Redis's clock (one per client is enough: shared/src/redis/clock.ts).
 *
 * Commands per call, as INFO commandstats counts them: a take or reservation of n buckets is
 * EVALSHA + MGET + n SET (4 for a send's number and recipient buckets), plus one TIME per clock
 * and 30 s; a block is EVALSHA + MGET + SET, and PTTL on a bucket that exists.
 */
export class RedisTokenBuckets implements TokenBuckets {
  constructor(
    private readonly client: RedisClient,
    private readonly clock: RedisClock,
    private readonly keyOf: (bucket: string) => string,
  ) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    return Number(await TAKE.run<number>(this.client, this.keys(buckets), await this.args(buckets)));
  }

  async reserve(buckets: readonly Bucket[]): Promise<number> {
    if (buckets.length === 0) return 0;
    return Number(await RESERVE.run<number>(this.client, this.keys(buckets), await this.args(buckets)));
  }

  async block(key: string, ms: number): Promise<void> {
    await BLOCK.run<number>(this.client, [this.keyOf(key)], [await this.clock.now(), blockMs(ms)]);
  }

  private keys(buckets: readonly Bucket[]): string[] {
    return buckets.map((b) => this.keyOf(b.key));
  }

  private async args(buckets: readonly Bucket[]): Promise<number[]> {
    const args = [await this.clock.now()];
    for (const b of buckets) args.push(b.ratePerSec, b.burst, keepMs(b));
    return args;
  }
}
