import { hasBinary, startRedisServer, type TestServer } from "@flank/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../events/event.js";
import { redisApiRateLimitKey, redisRateLimitKey } from "../events/names.js";
import { connectRedis, type RedisClient } from "../redis/client.js";
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

  tokenBucketsContract("redis", () => new RedisTokenBuckets(client, redisRateLimitKey));

  it("two instances share one bucket, under the key their service names", async () => {
    const a = new RedisTokenBuckets(client, redisApiRateLimitKey);
    const b = new RedisTokenBuckets(client, redisApiRateLimitKey);
    const bucket: Bucket = { key: `shared:${newId()}`, ratePerSec: 0.1, burst: 2 };
    expect(await a.take([bucket])).toBe(0);
    expect(await b.take([bucket])).toBe(0);
    expect(await a.take([bucket])).toBeGreaterThan(0);
    expect(await client.hGet(redisApiRateLimitKey(bucket.key), "tokens")).toBeDefined();
    expect(await client.exists(redisRateLimitKey(bucket.key))).toBe(0);
  });

  it("expires a key at most one keep after the bucket would be full, later while a block lasts", async () => {
    const limiter = new RedisTokenBuckets(client, redisRateLimitKey);
    const bucket: Bucket = { key: `ttl:${newId()}`, ratePerSec: 1, burst: 2 };
    await limiter.take([bucket]);
    const ttl = await client.pTTL(redisRateLimitKey(bucket.key));
    expect(ttl).toBeGreaterThan(5000);
    expect(ttl).toBeLessThanOrEqual(6000);
    await limiter.block(bucket.key, 120_000);
    await limiter.take([bucket]);
    expect(await client.pTTL(redisRateLimitKey(bucket.key))).toBeGreaterThan(170_000);
  });

  it("writes a key's expiry once per keep, not on every take", async () => {
    const limiter = new RedisTokenBuckets(client, redisRateLimitKey);
    const bucket: Bucket = { key: `few:${newId()}`, ratePerSec: 100, burst: 50 };
    const pexpires = async () => {
      const info = await client.info("commandstats");
      return Number(/^cmdstat_pexpire:calls=(\d+)/m.exec(info)?.[1] ?? 0);
    };
    const before = await pexpires();
    for (let i = 0; i < 10; i++) await limiter.reserve([bucket]);
    expect(await pexpires()).toBe(before + 1);
  });
});
