import { newId, redisApiRateLimitKey } from "@flank/shared/contract";
import { MemoryTokenBuckets, RedisTokenBuckets } from "@flank/shared/rate-limit";
import { connectRedis, type RedisClient, RedisClock } from "@flank/shared/redis";
import { hasBinary, startRedisServer, type TestServer } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFingerprint, requireApiKey } from "./api-keys.js";
import { addressBucketOf, type LimitOptions, limitByAddress, limitByKey } from "./rate-limit.js";
import { baseApp, bearer, fromIp, silent } from "./test-support.js";

const KEYS = { apiKeys: ["key-a-0123456789", "key-b-0123456789"], adminApiKeys: [] };
const [KEY_A, KEY_B] = KEYS.apiKeys as [string, string];

/** The API's chain as app.ts mounts it: the address limit, the key check, the key limit. */
const appWith = (limiter: LimitOptions["limiter"], perKey: number, perIp: number, trustProxy = false) => {
  const app = baseApp();
  app.use("/v1/*", limitByAddress({ limiter, perMinute: perIp, trustProxy, log: silent }));
  app.use("/v1/*", requireApiKey(KEYS, "api"), limitByKey({ limiter, perMinute: perKey, log: silent }));
  app.get("/v1/ping", (c) => c.json({ ok: true }));
  app.post("/webhook/whatsapp", (c) => c.json({ received: 0 }));
  return app;
};

/** A limiter that records the bucket keys it was asked for. */
const recording = () => {
  const inner = new MemoryTokenBuckets();
  const keys: string[] = [];
  const limiter: LimitOptions["limiter"] = {
    take: (buckets) => {
      keys.push(...buckets.map((b) => b.key));
      return inner.take(buckets);
    },
  };
  return { limiter, keys };
};

describe("rate limits", () => {
  it("answers 429 with Retry-After once a key is over its limit; other keys go on", async () => {
    const app = appWith(new MemoryTokenBuckets(), 2, 0);
    const ask = (key: string) => app.request("/v1/ping", { headers: bearer(key) }, fromIp("10.0.0.1"));
    expect((await ask(KEY_A)).status).toBe(200);
    expect((await ask(KEY_A)).status).toBe(200);
    const limited = await ask(KEY_A);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    const body = (await limited.json()) as { error: { code: string; details: unknown }; requestId: string };
    expect(body.error).toMatchObject({ code: "rate_limited", details: { retryAfterSeconds: 30 } });
    expect(body.requestId).toBeTruthy();
    expect((await ask(KEY_B)).status).toBe(200);
  });

  it("limits an address across keys and key guesses, and never the webhook", async () => {
    const app = appWith(new MemoryTokenBuckets(), 100, 2);
    const from = (ip: string, key: string) => app.request("/v1/ping", { headers: bearer(key) }, fromIp(ip));
    expect((await from("10.0.0.7", KEY_A)).status).toBe(200);
    expect((await from("10.0.0.7", "a-guess")).status).toBe(401);
    expect((await from("10.0.0.7", KEY_B)).status).toBe(429);
    expect((await from("10.0.0.8", KEY_B)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await app.request("/webhook/whatsapp", { method: "POST" }, fromIp("10.0.0.7"))).status).toBe(
        200,
      );
    }
  });

  it("checks the address first, and gives buckets to valid keys only", async () => {
    const { limiter, keys } = recording();
    const app = appWith(limiter, 100, 3);
    const ask = (key: string) => app.request("/v1/ping", { headers: bearer(key) }, fromIp("10.0.0.5"));
    for (let i = 0; i < 50; i++) await ask(`random-${i}-${Math.random()}`);
    // Over its limit after three: the valid key's own bucket is never touched either.
    expect((await ask(KEY_A)).status).toBe(429);
    expect(new Set(keys)).toEqual(new Set(["ip:10.0.0.5"]));

    const fresh = recording();
    const ok = await appWith(fresh.limiter, 100, 3).request(
      "/v1/ping",
      { headers: bearer(KEY_A) },
      fromIp("10.0.0.6"),
    );
    expect(ok.status).toBe(200);
    expect(fresh.keys).toEqual(["ip:10.0.0.6", `key:${keyFingerprint(KEY_A)}`]);
  });

  it("counts IPv6 clients per /64, and IPv4-mapped addresses as IPv4", async () => {
    expect(addressBucketOf("2001:db8:1:2::a")).toBe("2001:db8:1:2::/64");
    expect(addressBucketOf("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressBucketOf("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(addressBucketOf("10.0.0.1")).toBe("10.0.0.1");
    expect(addressBucketOf("unknown")).toBe("unknown");

    const app = appWith(new MemoryTokenBuckets(), 0, 2);
    const from = (ip: string) => app.request("/v1/ping", { headers: bearer(KEY_A) }, fromIp(ip));
    expect((await from("2001:db8:1:2::1")).status).toBe(200);
    expect((await from("2001:db8:1:2:dead:beef:0:1")).status).toBe(200);
    // A third address of the same /64: the same client.
    expect((await from("2001:db8:1:2::ffff")).status).toBe(429);
    expect((await from("2001:db8:1:3::1")).status).toBe(200);
  });

  it("reads the address from X-Forwarded-For only behind a trusted proxy", async () => {
    const app = appWith(new MemoryTokenBuckets(), 0, 1, true);
    const via = (xff: string) =>
      app.request("/v1/ping", { headers: { ...bearer(KEY_A), "x-forwarded-for": xff } }, fromIp("10.9.9.9"));
    expect((await via("1.1.1.1, 203.0.113.5")).status).toBe(200);
    // Same last hop, a different forged first hop: still the same client.
    expect((await via("2.2.2.2, 203.0.113.5")).status).toBe(429);
    expect((await via("203.0.113.6")).status).toBe(200);
  });

  it("lets requests through when the limiter fails", async () => {
    const broken: LimitOptions["limiter"] = { take: () => Promise.reject(new Error("redis down")) };
    const res = await appWith(broken, 1, 1).request(
      "/v1/ping",
      { headers: bearer(KEY_A) },
      fromIp("10.0.0.1"),
    );
    expect(res.status).toBe(200);
  });
});

describe.skipIf(!hasBinary("redis-server"))("rateLimit middleware on Redis", () => {
  let server: TestServer;
  let client: RedisClient;
  let prefix: string;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url, silent, "rate-limit-test");
    prefix = `${newId()}:`;
  });
  afterAll(async () => {
    await client?.quit().catch(() => undefined);
    await server?.stop();
  });

  // The prefix keeps a test's buckets apart from any other on the server.
  const redisLimiter = (p = prefix) =>
    new RedisTokenBuckets(client, new RedisClock(client), (b) => redisApiRateLimitKey(`${p}${b}`));

  it("shares one limit between gateway instances, with 429 and Retry-After", async () => {
    const [a, b] = [appWith(redisLimiter(), 3, 0), appWith(redisLimiter(), 3, 0)];
    const statuses: number[] = [];
    for (const app of [a, b, a, b])
      statuses.push((await app.request("/v1/ping", { headers: bearer(KEY_A) })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await a.request("/v1/ping", { headers: bearer(KEY_A) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(19);
    const keys = await client.keys("flank:ratelimit:api:*");
    expect(keys.some((k) => k.includes(KEY_A))).toBe(false);
  });

  it("stores one bucket for a flood of random tokens from one address", async () => {
    const own = `${newId()}:`;
    const app = appWith(redisLimiter(own), 600, 5);
    for (let i = 0; i < 200; i++)
      await app.request("/v1/ping", { headers: bearer(`random-${i}-${newId()}`) }, fromIp("10.1.2.3"));
    expect(await client.keys(redisApiRateLimitKey(`${own}*`))).toEqual([
      redisApiRateLimitKey(`${own}ip:10.1.2.3`),
    ]);
  });
});
