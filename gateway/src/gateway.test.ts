import { createMemoryBus } from "@flank/shared/bus";
import { createAgentPresence } from "@flank/shared/routing";
import { createMemoryStores } from "@flank/shared/store";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { startGateway } from "./gateway.js";
import { AUTH, silentLog, testConfig } from "./test-harness.js";

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
