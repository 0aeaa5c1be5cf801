import { hasBinary, redisCommands, startRedisServer, type TestServer } from "@flank/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../events/event.js";
import { redisApiRateLimitKey, redisRateLimitKey } from "../events/names.js";
import { connectRedis, type RedisClient, RedisClock } from "../redis/client.js";
import { tokenBucketsContract } from "./token-bucket.contract.js";
import { type Bucket, keepMs, takeAll } from "./token-bucket.js";
import { MemoryTokenBuckets } from "./token-bucket-memory.js";
import { RedisTokenBuckets } from "./token-bucket-redis.js";

const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });

describe("token bucket arithmetic", () => {
  const b: Bucket = { key: "k", ratePerSec: 2, burst: 4 };

  it("an unknown bucket is full; a take leaves burst - 1", () => {
    expect(takeAll([undefined], [b], 1000)).toEqual({
      wait: 0,
      states: [{ tokens: 3, ts: 1000, blockedUntil: 0 }],
    });
  });

  it("refills since the last take, never past the burst", () => {
    const half = { tokens: 0.5, ts: 1000, blockedUntil: 0 };
    const early = takeAll([half], [b], 1125);
    expect(early).toEqual({ wait: 125, states: [{ tokens: 0.75, ts: 1125, blockedUntil: 0 }] });
    expect(takeAll([half], [b], 1300).states[0]?.tokens).toBeCloseTo(0.1);
    expect(takeAll([half], [b], 60_000).states[0]?.tokens).toBe(3);
  });

  it("reports the longest wait over the buckets, the rest of a block included", () => {
    const empty = { tokens: 0, ts: 1000, blockedUntil: 0 };
    const held = { tokens: 4, ts: 1000, blockedUntil: 3000 };
    expect(takeAll([empty], [b], 1000).wait).toBe(500);
    expect(takeAll([empty, held], [b, b], 1000)).toEqual({ wait: 2000, states: [empty, held] });
  });

  it("keeps a bucket until it would be full again, plus a second", () => {
    expect(keepMs(b)).toBe(3000);
    expect(keepMs({ key: "k", ratePerSec: 1 / 6, burst: 45 })).toBe(271_000);
  });
});

tokenBucketsContract("memory", () => new MemoryTokenBuckets());

describe("memory token buckets with a fake clock", () => {
  it("refills at the bucket's rate and forgets buckets once they would be full", async () => {
    let now = 1_000_000;
    const limiter = new MemoryTokenBuckets(() => now);
    const b: Bucket = { key: "k", ratePerSec: 1, burst: 1 };
    expect(await limiter.take([b])).toBe(0);
    expect(await limiter.take([b])).toBe(1000);
    now += 999;
    const almost = await limiter.take([b]);
    expect(almost).toBeGreaterThan(0);
    expect(almost).toBeLessThanOrEqual(2);
    now += 1;
    expect(await limiter.take([b])).toBe(0);
    now += 60_000;
    for (let i = 0; i < 1000; i++)
      await limiter.take([{ key: `other-${i % 2}`, ratePerSec: 1000, burst: 5 }]);
    expect(limiter.size).toBeLessThanOrEqual(2);
  });

  it("keeps a blocked bucket a minute past its block, as Redis does", async () => {
    let now = 1_000_000;
    const limiter = new MemoryTokenBuckets(() => now);
    const b: Bucket = { key: "pair", ratePerSec: 0.25, burst: 45 };
    await limiter.block(b.key, 1000);
    now += 1000;
    // Unblocked, but refilling from empty: a quarter token in, 3 s to go.
    expect(await limiter.take([b])).toBe(3000);
    // A slow bucket, blocked once: forgotten (full again) a minute after its block ends.
    const slow = (key: string): Bucket => ({ key, ratePerSec: 0.001, burst: 5 });
    await limiter.block("kept", 1000);
    await limiter.block("gone", 1000);
    now += 60_999;
    expect(await limiter.take([slow("kept")])).toBeGreaterThan(0);
    now += 2;
    expect(await limiter.take([slow("gone")])).toBe(0);
  });
});

describe.skipIf(!hasBinary("redis-server"))("redis token buckets", () => {
  let server: TestServer | undefined;
  let client: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url, log, "token-bucket-test");
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  // One clock per process in production (responder/src/index.ts); one per limiter here is the
  // same to Redis, which sees a TIME per clock and 30 s.
  const redisBuckets = (keyOf = redisRateLimitKey) =>
    new RedisTokenBuckets(client, new RedisClock(client), keyOf);

  tokenBucketsContract("redis", () => redisBuckets());

  const commands = redisCommands((section) => client.info(section));

  it("two instances share one bucket, under the key their service names, as one string", async () => {
    const a = redisBuckets(redisApiRateLimitKey);
    const b = redisBuckets(redisApiRateLimitKey);
    const bucket: Bucket = { key: `shared:${newId()}`, ratePerSec: 0.1, burst: 2 };
    expect(await a.take([bucket])).toBe(0);
    expect(await b.take([bucket])).toBe(0);
    expect(await a.take([bucket])).toBeGreaterThan(0);
    expect(await client.get(redisApiRateLimitKey(bucket.key))).toMatch(/^0\.\d{6} \d{13} 0$/);
    expect(await client.exists(redisRateLimitKey(bucket.key))).toBe(0);
  });

  it("expires a key a keep after the bucket would be full, later while a block lasts", async () => {
    const limiter = redisBuckets();
    const bucket: Bucket = { key: `ttl:${newId()}`, ratePerSec: 1, burst: 2 };
    await limiter.take([bucket]);
    const ttl = await client.pTTL(redisRateLimitKey(bucket.key));
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3000);
    // The block's keep (a minute past it) survives the takes and reservations that follow.
    await limiter.block(bucket.key, 120_000);
    await limiter.take([bucket]);
    expect(await client.pTTL(redisRateLimitKey(bucket.key))).toBeGreaterThan(170_000);
    await limiter.reserve([bucket]);
    expect(await client.pTTL(redisRateLimitKey(bucket.key))).toBeGreaterThan(170_000);
    // A short block never cuts the keep a slow bucket's take left (it refills for 271 s).
    const slow: Bucket = { key: `slow:${newId()}`, ratePerSec: 1 / 6, burst: 45 };
    await limiter.take([slow]);
    await limiter.block(slow.key, 1000);
    expect(await client.pTTL(redisRateLimitKey(slow.key))).toBeGreaterThan(260_000);
  });

  it("reads a key in another format (an older hash, garbage) as a missing bucket and replaces it", async () => {
    const limiter = redisBuckets();
    const far = String(Date.now() + 3_600_000);
    const hash: Bucket = { key: `hash:${newId()}`, ratePerSec: 0.1, burst: 1 };
    await client.hSet(redisRateLimitKey(hash.key), { tokens: "0", ts: far, blocked: far });
    expect(await limiter.take([hash])).toBe(0);
    expect(await client.type(redisRateLimitKey(hash.key))).toBe("string");
    expect(await limiter.take([hash])).toBeGreaterThan(9000);
    const garbage: Bucket = { key: `garbage:${newId()}`, ratePerSec: 0.1, burst: 1 };
    await client.set(redisRateLimitKey(garbage.key), "not a bucket");
    expect(await limiter.reserve([garbage])).toBe(0);
    // A block on an older hash starts from an empty bucket, as on a missing one.
    const blocked: Bucket = { key: `hash-blocked:${newId()}`, ratePerSec: 100, burst: 10 };
    await client.hSet(redisRateLimitKey(blocked.key), { tokens: "10", ts: "0", blocked: "0" });
    await limiter.block(blocked.key, 5000);
    expect(await limiter.take([blocked])).toBeGreaterThan(4000);
  });

  it("a take or reservation of two buckets costs EVALSHA, MGET and a SET each", async () => {
    const limiter = redisBuckets();
    const number: Bucket = { key: `n:${newId()}`, ratePerSec: 80, burst: 80 };
    const recipient: Bucket = { key: `r:${newId()}`, ratePerSec: 1 / 6, burst: 45 };
    await limiter.take([{ key: `warm:${newId()}`, ratePerSec: 1, burst: 1 }]); // loads the script, syncs the clock
    for (const call of [
      () => limiter.take([number, recipient]),
      () => limiter.reserve([number, recipient]),
    ]) {
      for (let i = 0; i < 2; i++) {
        await commands.mark();
        await call();
        expect(await commands.since()).toEqual({ evalsha: 1, mget: 1, set: 2 });
      }
    }
    await commands.mark();
    await limiter.block(number.key, 1000);
    expect(await commands.since()).toEqual({ evalsha: 1, mget: 1, pttl: 1, set: 1 });
  });
});
