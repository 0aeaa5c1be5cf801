import { createMemoryBus } from "@flank/shared/bus";
import { createAgentPresence } from "@flank/shared/routing";
import { createMemoryStores } from "@flank/shared/store";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { startGateway } from "./gateway.js";
import { AUTH, SECRET, signed, silentLog, testConfig } from "./test-harness.js";

const deps = (env: Record<string, string> = {}) => {
  const log = silentLog();
  const config = testConfig(env);
  return {
    config,
    bus: createMemoryBus(log),
    stores: createMemoryStores(),
    log,
    registry: new Registry(),
    presence: createAgentPresence(config, undefined),
  };
};

describe("startGateway", () => {
  it("serves on a free port and stops idempotently, ending open event streams", async () => {
    const d = deps();
    const gateway = await startGateway(d, { port: 0, hostname: "127.0.0.1" });
    const base = `http://127.0.0.1:${gateway.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const stream = await fetch(`${base}/v1/stream`, { headers: AUTH });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the "ready" frame
    await Promise.all([gateway.stop(), gateway.stop()]);
    await gateway.stop();
    // The stream ended with the server rather than keeping stop() waiting.
    const end = await reader.read().catch(() => ({ done: true }));
    expect(end.done).toBe(true);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await d.bus.close();
  });

  it("refuses to start in production naming everything missing: app secret, encryption key, API keys", async () => {
    const d = deps({ NODE_ENV: "production", APP_SECRET: "", ENCRYPTION_KEY: "", API_KEYS: "" });
    const err = await startGateway(d, { port: 0 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe("ConfigError");
    expect(err?.message).toMatch(/APP_SECRET \(or FB_APP_SECRET\): required in production/);
    expect(err?.message).toMatch(/ENCRYPTION_KEY: required in production/);
    expect(err?.message).toMatch(/API_KEYS: required in production/);
  });

  it.each([
    ["APP_SECRET", { APP_SECRET: "" }],
    ["ENCRYPTION_KEY", { ENCRYPTION_KEY: "" }],
    ["API_KEYS", { API_KEYS: "" }],
  ])("in production, names %s alone when only it is missing", async (name, missing) => {
    const err = await startGateway(deps({ NODE_ENV: "production", ...missing }), { port: 0 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const named = ["APP_SECRET", "ENCRYPTION_KEY", "API_KEYS"].filter((n) => err?.message.includes(`${n}`));
    expect(named).toEqual([name]);
  });

  it("answers the webhook over HTTP with the API's headers, its request id and its metric", async () => {
    // The webhook answers before the app's middleware (routes/webhook.ts): same headers, made apart.
    const d = deps({ NODE_ENV: "production" });
    const gateway = await startGateway(d, { port: 0, hostname: "127.0.0.1" });
    const base = `http://127.0.0.1:${gateway.port}`;
    try {
      const own = ["content-type", "content-length", "x-request-id", "date", "connection", "keep-alive"];
      const policy = (res: Response) => [...res.headers].filter(([name]) => !own.includes(name));
      const health = await fetch(`${base}/healthz`);
      const post = (secret: string) => {
        const init = signed({ object: "whatsapp_business_account", entry: [] }, secret);
        return fetch(`${base}/webhook/whatsapp`, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), "x-request-id": "trace-7" },
        });
      };
      const ok = await post(SECRET);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ received: 0, duplicates: 0 });
      expect(ok.headers.get("x-request-id")).toBe("trace-7");
      expect(ok.headers.get("content-type")).toBe("application/json");
      expect(policy(ok)).toEqual(policy(health));
      expect(ok.headers.get("strict-transport-security")).toMatch(/^max-age=/);
      const refused = await post("wrong-secret");
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        error: { code: "signature_invalid" },
        requestId: "trace-7",
      });
      expect(policy(refused)).toEqual(policy(health));
      const metrics = await d.registry.metrics();
      expect(metrics).toContain(
        'flank_http_requests_total{method="POST",route="/webhook/whatsapp",status="200"} 1',
      );
      expect(metrics).toContain(
        'flank_http_requests_total{method="POST",route="/webhook/whatsapp",status="403"} 1',
      );
    } finally {
      await gateway.stop();
    }
  });

  it("starts in production when all three are set", async () => {
    const gateway = await startGateway(deps({ NODE_ENV: "production" }), { port: 0, hostname: "127.0.0.1" });
    await gateway.stop();
    expect(gateway.port).toBeGreaterThan(0);
  });

  it("fails to start on a port in use, leaving nothing running", async () => {
    const first = await startGateway(deps(), { port: 0, hostname: "127.0.0.1" });
    try {
      await expect(startGateway(deps(), { port: first.port, hostname: "127.0.0.1" })).rejects.toThrow(
        `port ${first.port} on 127.0.0.1 is already in use: stop what listens there, or set PORT to a free port`,
      );
    } finally {
      await first.stop();
    }
  });
});
