import { MemoryTokenBuckets, type TokenBuckets } from "@flank/shared/rate-limit";
import { connectRedis, type RedisClient } from "@flank/shared/redis";
import { whatsappFixtures as fx, hasBinary, startRedisServer, type TestServer } from "@flank/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromIp } from "./middleware/test-support.js";
import { EMBEDDED_SIGNUP_PATH } from "./routes/embedded-signup.js";
import { INTEGRATIONS_PATH } from "./routes/integrations.js";
import { ADMIN, AUTH, jsonPost, makeApp, SECRET, signed, silentLog, VERIFY } from "./test-harness.js";

// The gateway as a whole (issue 7 §4): keys of the right kind, limits, headers and CORS.
type ErrorJson = { error: { code: string } };
const codeOf = async (res: Response) => ((await res.json()) as ErrorJson).error.code;
const message = { to: "+15550001111", message: { type: "text", body: "hi" } };
const get = (headers: Record<string, string> = {}) => ({ headers });

describe("API keys", () => {
  const calls: [string, string, RequestInit][] = [
    ["read API", "/v1/conversations", {}],
    ["send API", "/v1/messages", { method: "POST", body: JSON.stringify(message) }],
    ["compatible send", "/send", { method: "POST", body: JSON.stringify({ number: "1555", text: "x" }) }],
    ["integrations", INTEGRATIONS_PATH, {}],
    ["embedded signup", EMBEDDED_SIGNUP_PATH, { method: "POST", body: "{}" }],
  ];

  it.each(calls)("%s: 401 without a key and with a wrong one", async (_name, path, init) => {
    const { app, bus } = makeApp();
    const none = await app.request(path, init);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await app.request(path, { ...init, headers: { authorization: "Bearer not-a-key-at-all" } });
    expect(wrong.status).toBe(401);
    expect(await codeOf(wrong)).toBe("unauthorized");
    expect(bus.calls).toHaveLength(0);
  });

  it("a send/read key is refused by the admin API with 403, and works on the send and read API", async () => {
    const { app } = makeApp();
    const list = await app.request(INTEGRATIONS_PATH, get(AUTH));
    expect(list.status).toBe(403);
    expect(list.headers.get("www-authenticate")).toContain("insufficient_scope");
    const signup = await app.request(EMBEDDED_SIGNUP_PATH, { method: "POST", body: "{}", headers: AUTH });
    expect(signup.status).toBe(403);
    expect((await app.request("/v1/conversations", get(AUTH))).status).toBe(200);
    expect((await app.request("/v1/messages", jsonPost(message))).status).toBe(202);
  });

  it("an admin key manages integrations, reaches embedded signup, and may use the send and read API", async () => {
    const { app } = makeApp();
    expect((await app.request(INTEGRATIONS_PATH, get(ADMIN))).status).toBe(200);
    expect((await app.request("/v1/conversations", get(ADMIN))).status).toBe(200);
    expect((await app.request("/v1/messages", jsonPost(message, ADMIN))).status).toBe(202);
    // Mounted and past the key check: FB_APP_ID is missing in the test config.
    const signup = await app.request(EMBEDDED_SIGNUP_PATH, { method: "POST", body: "{}", headers: ADMIN });
    expect(signup.status).toBe(503);
    expect(await codeOf(signup)).toBe("not_configured");
  });

  it("the webhook, health and docs need no key", async () => {
    const { app } = makeApp();
    const verify = `/webhook?hub.mode=subscribe&hub.challenge=7&hub.verify_token=${VERIFY}`;
    expect((await app.request(verify)).status).toBe(200);
    expect(
      (
        await app.request(
          "/webhook",
          signed(fx.inbound({ id: "wamid.K", type: "text", text: { body: "x" } })),
        )
      ).status,
    ).toBe(200);
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/openapi.json")).status).toBe(200);
  });
});

describe("rate limits", () => {
  const limited = (env: Record<string, string>) => {
    let clock = 1_000_000;
    const t = makeApp({ env, rateLimiter: new MemoryTokenBuckets(() => clock) });
    const advance = (ms: number) => {
      clock += ms;
    };
    return { ...t, advance };
  };

  it("per key: 429 with Retry-After past the limit, other keys unaffected, allowed again after the wait", async () => {
    const t = limited({ RATE_LIMIT_PER_KEY: "2", RATE_LIMIT_PER_IP: "0" });
    expect((await t.app.request("/v1/conversations", get(AUTH))).status).toBe(200);
    expect((await t.app.request("/v1/conversations", get(AUTH))).status).toBe(200);
    const over = await t.app.request("/v1/conversations", get(AUTH));
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("30");
    expect(await codeOf(over)).toBe("rate_limited");
    expect(
      (await t.app.request("/v1/conversations", get({ authorization: "Bearer key-two-0123456789" }))).status,
    ).toBe(200);
    t.advance(30_000);
    expect((await t.app.request("/v1/conversations", get(AUTH))).status).toBe(200);
  });

  it("per address, keyless guesses included, and on the admin API", async () => {
    const t = limited({ RATE_LIMIT_PER_KEY: "0", RATE_LIMIT_PER_IP: "2" });
    const from = (ip: string, path = "/v1/conversations", headers = {}) =>
      t.app.request(path, get(headers), fromIp(ip));
    expect((await from("10.0.0.1")).status).toBe(401);
    expect((await from("10.0.0.1", INTEGRATIONS_PATH, ADMIN)).status).toBe(200);
    const over = await from("10.0.0.1", INTEGRATIONS_PATH, ADMIN);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await from("10.0.0.2", "/v1/conversations", AUTH)).status).toBe(200);
  });

  it("checks the address first and gives no bucket to invalid keys; IPv6 per /64", async () => {
    const inner = new MemoryTokenBuckets();
    const seen = new Set<string>();
    const rateLimiter: TokenBuckets = {
      take: (buckets) => {
        for (const b of buckets) seen.add(b.key);
        return inner.take(buckets);
      },
      reserve: (buckets) => inner.reserve(buckets),
      block: (key, ms) => inner.block(key, ms),
    };
    const t = makeApp({ env: { RATE_LIMIT_PER_KEY: "100", RATE_LIMIT_PER_IP: "3" }, rateLimiter });
    const from = (ip: string, headers: Record<string, string>) =>
      t.app.request("/v1/conversations", get(headers), fromIp(ip));
    for (let i = 0; i < 40; i++) await from("10.0.0.3", { authorization: `Bearer guess-${i}-0123456789` });
    expect((await from("10.0.0.3", AUTH)).status).toBe(429);
    expect([...seen]).toEqual(["ip:10.0.0.3"]);

    const v6 = (suffix: string) => from(`2001:db8:aa:bb:${suffix}`, AUTH);
    expect((await v6("1::1")).status).toBe(200);
    expect((await v6("2::2")).status).toBe(200);
    expect((await v6("3::3")).status).toBe(200);
    expect((await v6("4::4")).status).toBe(429);
  });

  it("never on the webhook or health: Meta's retries always get through", async () => {
    const t = limited({ RATE_LIMIT_PER_KEY: "1", RATE_LIMIT_PER_IP: "1" });
    for (let i = 0; i < 5; i++) {
      const body = fx.inbound({ id: `wamid.R${i}`, type: "text", text: { body: "x" } });
      expect((await t.app.request("/webhook", signed(body), fromIp("10.0.0.9"))).status).toBe(200);
      expect((await t.app.request("/healthz", {}, fromIp("10.0.0.9"))).status).toBe(200);
    }
  });
});

describe.skipIf(!hasBinary("redis-server"))("rate limits shared through Redis", () => {
  let server: TestServer;
  let redis: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = await connectRedis(server.url, silentLog(), "rate-limit-test");
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it("two gateway instances with the gateway's redis share one limit per key", async () => {
    const env = { RATE_LIMIT_PER_KEY: "2", RATE_LIMIT_PER_IP: "0" };
    const one = makeApp({ env, redis });
    const two = makeApp({ env, redis });
    expect((await one.app.request("/v1/conversations", get(AUTH))).status).toBe(200);
    expect((await two.app.request("/v1/conversations", get(AUTH))).status).toBe(200);
    const over = await one.app.request("/v1/conversations", get(AUTH));
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("30");
  });
});

describe("security headers and CORS", () => {
  const expectHardened = (res: Response, where: string) => {
    expect(res.headers.get("x-content-type-options"), where).toBe("nosniff");
    expect(res.headers.get("x-frame-options"), where).toBe("DENY");
    expect(res.headers.get("referrer-policy"), where).toBe("no-referrer");
  };

  it("are on every answer: webhook, health, API, errors, 404 and 429", async () => {
    const t = makeApp({ env: { RATE_LIMIT_PER_KEY: "1" } });
    const answers: [string, Response][] = [
      [
        "verify",
        await t.app.request(`/webhook?hub.mode=subscribe&hub.challenge=1&hub.verify_token=${VERIFY}`),
      ],
      ["webhook", await t.app.request("/webhook", signed({ object: "x" }))],
      ["bad signature", await t.app.request("/webhook", signed({ object: "x" }, "wrong"))],
      ["healthz", await t.app.request("/healthz")],
      ["api", await t.app.request("/v1/conversations", get(AUTH))],
      ["429", await t.app.request("/v1/conversations", get(AUTH))],
      ["401", await t.app.request("/v1/conversations")],
      ["404", await t.app.request("/nowhere")],
    ];
    expect(answers.map(([, r]) => r.status)).toEqual([200, 200, 403, 200, 200, 429, 401, 404]);
    for (const [where, res] of answers) {
      expectHardened(res, where);
      expect(res.headers.get("content-security-policy"), where).toContain("default-src 'none'");
    }
    const docs = await t.app.request("/docs");
    // The API viewer runs same-origin scripts and styles only (routes/openapi.test.ts).
    const csp = docs.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
  });

  it("a mounted page (the playground) keeps the headers but sets its own CSP", async () => {
    const page = new Hono().get("/", (c) => c.html("<script>1</script>"));
    const { app } = makeApp({ appOptions: { mount: [{ path: "/playground", app: page }] } });
    const res = await app.request("/playground");
    expect(res.status).toBe(200);
    expectHardened(res, "playground");
    expect(res.headers.get("content-security-policy")).toBeNull();
  });

  it("CORS is off without CORS_ORIGINS: no Access-Control headers at all", async () => {
    const { app } = makeApp();
    const origin = { origin: "https://app.example.com" };
    const preflight = await app.request("/v1/messages", {
      method: "OPTIONS",
      headers: { ...origin, "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const res = await app.request("/v1/conversations", get({ ...AUTH, ...origin }));
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("with CORS_ORIGINS, answers listed origins' preflights without a key, and only theirs", async () => {
    const { app } = makeApp({ env: { CORS_ORIGINS: "https://app.example.com" } });
    const preflight = (origin: string) =>
      app.request(INTEGRATIONS_PATH, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization",
        },
      });
    const ok = await preflight("https://app.example.com");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const other = await preflight("https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("hostile bodies", () => {
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

  it("a signed webhook nesting 100,000 arrays is a clear 400, not a 5xx, and publishes nothing", async () => {
    const { app, bus } = makeApp();
    const raw = `{"object":"whatsapp_business_account","entry":${deep(100_000)}}`;
    const res = await app.request("/webhook", signed(raw));
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe("invalid_json");
    // Unsigned, the signature is still checked first.
    expect((await app.request("/webhook", { method: "POST", body: raw })).status).toBe(401);
    expect(bus.calls).toHaveLength(0);
    // Still serving.
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("moderate nesting in a field Flank does not read is accepted and published", async () => {
    const { app, bus } = makeApp();
    const body = fx.inbound({
      id: "wamid.DEEPISH",
      type: "text",
      text: { body: "x" },
      extra: JSON.parse(deep(40)),
    });
    const res = await app.request("/webhook", signed(body, SECRET));
    expect(res.status).toBe(200);
    expect(bus.calls).toHaveLength(1);
  });

  it("the API refuses deep nesting with 400 and oversized bodies with 413", async () => {
    const { app } = makeApp();
    const nested = await app.request("/v1/messages", {
      method: "POST",
      body: `{"to":${deep(100_000)}}`,
      headers: AUTH,
    });
    expect(nested.status).toBe(400);
    const huge = await app.request(INTEGRATIONS_PATH, {
      method: "POST",
      body: JSON.stringify({ phone_number_id: "1234567", access_token: "x".repeat(2 * 1024 * 1024) }),
      headers: { "content-type": "application/json", ...ADMIN },
    });
    expect(huge.status).toBe(413);
    expect(await codeOf(huge)).toBe("payload_too_large");
  });
});
