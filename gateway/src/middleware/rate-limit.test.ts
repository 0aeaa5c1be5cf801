import {
  connectRedis,
  MemoryTokenBuckets,
  newId,
  type RedisClient,
  RedisTokenBuckets,
  redisApiRateLimitKey,
} from "@flank/shared";
import { hasBinary, startRedisServer, type TestServer } from "@flank/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RateLimitOptions, rateLimit } from "./rate-limit.js";
import { baseApp, bearer, fromIp, silent } from "./test-support.js";

describe("rateLimit middleware", () => {
  const appWith = (limiter: RateLimitOptions["limiter"], perKey: number, perIp: number) => {
    const app = baseApp();
    const limit = rateLimit({ limiter, perKeyPerMinute: perKey, perIpPerMinute: perIp, log: silent });
    // Mounted on the public API only, as app.ts will: the webhook stays unlimited.
    app.use("/v1/*", limit);
    app.get("/v1/ping", (c) => c.json({ ok: true }));
    app.post("/webhook/whatsapp", (c) => c.json({ received: 0 }));
    return app;
  };

  it("answers 429 with Retry-After once a key is over its limit; other keys go on", async () => {
    const app = appWith(new MemoryTokenBuckets(), 2, 0);
    const ask = (key: string) => app.request("/v1/ping", { headers: bearer(key) }, fromIp("10.0.0.1"));
    expect((await ask("key-a")).status).toBe(200);
    expect((await ask("key-a")).status).toBe(200);
    const limited = await ask("key-a");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    const body = (await limited.json()) as { error: { code: string; details: unknown }; requestId: string };
    expect(body.error).toMatchObject({ code: "rate_limited", details: { retryAfterSeconds: 30 } });
    expect(body.requestId).toBeTruthy();
    expect((await ask("key-b")).status).toBe(200);
  });

  it("limits an address across keys, and never the webhook", async () => {
    const app = appWith(new MemoryTokenBuckets(), 100, 2);
    const from = (ip: string, key: string) => app.request("/v1/ping", { headers: bearer(key) }, fromIp(ip));
    expect((await from("10.0.0.7", "k1")).status).toBe(200);
    expect((await from("10.0.0.7", "k2")).status).toBe(200);
    expect((await from("10.0.0.7", "k3")).status).toBe(429);
    expect((await from("10.0.0.8", "k3")).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await app.request("/webhook/whatsapp", { method: "POST" }, fromIp("10.0.0.7"))).status).toBe(
        200,
      );
    }
  });

  it("reads the address from X-Forwarded-For only behind a trusted proxy", async () => {
    const limiter = new MemoryTokenBuckets();
    const app = baseApp();
    app.use(
      "/v1/*",
      rateLimit({ limiter, perKeyPerMinute: 0, perIpPerMinute: 1, trustProxy: true, log: silent }),
    );
    app.get("/v1/ping", (c) => c.json({ ok: true }));
    const via = (xff: string) =>
      app.request("/v1/ping", { headers: { "x-forwarded-for": xff } }, fromIp("10.9.9.9"));
    expect((await via("1.1.1.1, 203.0.113.5")).status).toBe(200);
    // Same last hop, a different forged first hop: still the same client.
    expect((await via("2.2.2.2, 203.0.113.5")).status).toBe(429);
    expect((await via("203.0.113.6")).status).toBe(200);
  });

  it("lets requests through when the limiter fails", async () => {
    const broken: RateLimitOptions["limiter"] = { take: () => Promise.reject(new Error("redis down")) };
    const res = await appWith(broken, 1, 1).request("/v1/ping", { headers: bearer("k") }, fromIp("10.0.0.1"));
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

  it("shares one limit between gateway instances, with 429 and Retry-After", async () => {
    const instance = () => {
      const app = baseApp();
      // The prefix keeps this test's buckets apart from any other on the server.
      const limiter = new RedisTokenBuckets(client, (b) => redisApiRateLimitKey(`${prefix}${b}`));
      app.use("/v1/*", rateLimit({ limiter, perKeyPerMinute: 3, perIpPerMinute: 0, log: silent }));
      app.get("/v1/ping", (c) => c.json({ ok: true }));
      return app;
    };
    const [a, b] = [instance(), instance()];
    const key = `shared-${newId()}`;
    const statuses: number[] = [];
    for (const app of [a, b, a, b])
      statuses.push((await app.request("/v1/ping", { headers: bearer(key) })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await a.request("/v1/ping", { headers: bearer(key) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(19);
    const keys = await client.keys("flank:ratelimit:api:*");
    expect(keys.some((k) => k.includes(key))).toBe(false);
  });
});
