import { createServer, type Server } from "node:net";
import { parseConfig } from "@flank/shared/config";
import {
  freePort,
  hasBinary,
  type SpawnedProcess,
  spawnNode,
  startRedisServer,
  type TestServer,
  waitFor,
} from "@flank/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildGateway, GATEWAY_MAIN } from "./test-build.js";

// The gateway as a user starts it (node gateway/dist/main.js), with what goes wrong at start.
const running: SpawnedProcess[] = [];
const gateway = (env: Record<string, string>) => {
  const p = spawnNode(GATEWAY_MAIN, { LOG_LEVEL: "warn", NODE_ENV: "test", ...env });
  running.push(p);
  return p;
};
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});
beforeAll(buildGateway, 120_000);

/** Exit code, seconds taken, and the lines written to stderr and stdout. */
async function outcome(p: SpawnedProcess) {
  const started = performance.now();
  const code = await p.exited;
  const lines = p
    .output()
    .split("\n")
    .filter((l) => l.trim() !== "");
  return { code, seconds: (performance.now() - started) / 1000, lines };
}

const BOUND_S = 1.5;
const oneLine = (lines: string[]) => {
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\n|^\s+at /);
  return lines[0] ?? "";
};

describe("a gateway that cannot start says why in one line and exits 1", () => {
  it("defaults to trying for at most 10 s", () => {
    expect(parseConfig({}).connectTimeoutMs).toBeLessThanOrEqual(10_000);
  });

  it("Redis unreachable: names Redis, the URL with the password masked, and REDIS_URL, within the bound", async () => {
    const port = await freePort();
    const r = await outcome(
      gateway({
        BUS: "redis",
        REDIS_URL: `redis://:hunter22@127.0.0.1:${port}`,
        CONNECT_TIMEOUT_MS: String(BOUND_S * 1000),
      }),
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(BOUND_S + 3);
    const line = oneLine(r.lines);
    expect(line).toBe(
      `gateway: cannot connect to Redis at redis://:****@127.0.0.1:${port}: no connection within ${BOUND_S} s (connect ECONNREFUSED 127.0.0.1:${port}); check REDIS_URL`,
    );
    expect(r.lines.join("\n")).not.toContain("hunter22");
  });

  it("NATS unreachable: names NATS and NATS_URL", async () => {
    const port = await freePort();
    const r = await outcome(
      gateway({
        BUS: "nats",
        NATS_URL: `nats://127.0.0.1:${port}`,
        CONNECT_TIMEOUT_MS: String(BOUND_S * 1000),
      }),
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(BOUND_S + 3);
    expect(oneLine(r.lines)).toMatch(
      new RegExp(`^gateway: cannot connect to NATS at nats://127\\.0\\.0\\.1:${port}: .*; check NATS_URL$`),
    );
  });

  it("MongoDB unreachable: names MongoDB, the masked URI and MONGODB_URI", async () => {
    const port = await freePort();
    const r = await outcome(
      gateway({
        STORE: "mongo",
        MONGODB_URI: `mongodb://flank:hunter22@127.0.0.1:${port}/flank`,
        CONNECT_TIMEOUT_MS: String(BOUND_S * 1000),
      }),
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(BOUND_S + 3);
    expect(oneLine(r.lines)).toMatch(
      new RegExp(
        `^gateway: cannot connect to MongoDB at mongodb://flank:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/flank: .*ECONNREFUSED.*; check MONGODB_URI$`,
      ),
    );
    expect(r.lines.join("\n")).not.toContain("hunter22");
  });

  it("a malformed REDIS_URL is a config error naming it, without a stack", async () => {
    const r = await outcome(gateway({ BUS: "redis", REDIS_URL: "redis://127.0.0.1:notaport" }));
    expect(r.code).toBe(1);
    expect(r.lines.join("\n")).toMatch(/REDIS_URL: expected a URL/);
    expect(r.lines.join("\n")).not.toMatch(/^\s+at /m);
  });

  it("a port in use names PORT", async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
    try {
      const r = await outcome(gateway({ PORT: String(port) }));
      expect(r.code).toBe(1);
      expect(oneLine(r.lines.filter((l) => !l.startsWith("{")))).toBe(
        `gateway: port ${port} is already in use: stop what listens there, or set PORT to a free port`,
      );
    } finally {
      taken.close();
    }
  });

  it("Ctrl-C while still connecting stops it within seconds (130)", async () => {
    const port = await freePort();
    const p = gateway({
      LOG_LEVEL: "info",
      BUS: "redis",
      REDIS_URL: `redis://127.0.0.1:${port}`,
      CONNECT_TIMEOUT_MS: "60000",
    });
    await waitFor(() => p.output().includes("gateway connecting"), { timeoutMs: 15_000, what: "connecting" });
    p.child.kill("SIGINT");
    const r = await outcome(p);
    expect(r.code).toBe(130);
    expect(r.seconds).toBeLessThan(3);
  });
});

describe.skipIf(!hasBinary("redis-server"))("a Redis outage while the gateway runs", () => {
  let redis: TestServer | undefined;
  afterEach(async () => {
    await redis?.stop();
  });

  it("is shown by /readyz, logged once, retried until Redis is back; Ctrl-C during it stops within seconds", async () => {
    redis = await startRedisServer();
    const redisPort = redis.port;
    const port = await freePort();
    const p = gateway({ LOG_LEVEL: "info", PORT: String(port), BUS: "redis", REDIS_URL: redis.url });
    const readyz = async () =>
      fetch(`http://127.0.0.1:${port}/readyz`)
        .then(async (res) => ({ status: res.status, body: await res.json() }))
        .catch(() => ({ status: 0, body: undefined }));
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 20_000, what: "ready" });

    await redis.stop();
    for (let i = 0; i < 3; i++) {
      await waitFor(async () => (await readyz()).status === 503, { timeoutMs: 10_000, what: "503" });
      expect((await readyz()).body).toEqual({ ok: false, failed: ["bus"] });
    }
    const warnings = () =>
      p
        .output()
        .split("\n")
        .filter((l) => l.includes("unavailable; retrying"));
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('"part":"bus"');

    redis = await startRedisServer({ port: redisPort });
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 15_000, what: "ready again" });
    // The line and the 200 travel apart (stdout pipe, HTTP): wait for the line rather than race it.
    await waitFor(() => p.output().includes("bus available again"), { timeoutMs: 5000, what: "the line" });
    expect(warnings()).toHaveLength(1);

    await redis.stop();
    redis = undefined;
    await waitFor(async () => (await readyz()).status === 503, { timeoutMs: 10_000, what: "down again" });
    p.child.kill("SIGINT");
    const r = await outcome(p);
    expect(r.seconds).toBeLessThan(5);
    expect(typeof r.code).toBe("number");
  }, 90_000);
});
