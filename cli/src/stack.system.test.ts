import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { inboundTextWebhook, postWebhook } from "@flank/devtools";
import { freePort, hasBinary, startRedisServer, type TestServer, waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_PHONE_NUMBER_ID } from "./local-config.js";
import { planRedis, probeRedis, startLocalRedis } from "./local-redis.js";
import { REPO_ROOT, startStack } from "./stack.js";
import { buildPackages, FAST_STATUSES } from "./test-helpers.js";

describe("which Redis the stack uses", () => {
  const probe = (answers: Record<number, boolean>) => async (_host: string, port: number) =>
    answers[port] === true;

  it("uses REDIS_URL when it answers, and never replaces one that does not", async () => {
    expect(await planRedis({ url: "redis://127.0.0.1:7000", probe: probe({ 7000: true }) })).toEqual({
      kind: "use",
      url: "redis://127.0.0.1:7000",
    });
    expect(await planRedis({ url: "redis://127.0.0.1:7000", probe: probe({}) })).toEqual({
      kind: "unreachable",
      url: "redis://127.0.0.1:7000",
    });
  });

  it("uses a Redis already on the port, else starts one there", async () => {
    expect(await planRedis({ port: 7001, probe: probe({ 7001: true }) })).toEqual({
      kind: "use",
      url: "redis://127.0.0.1:7001",
    });
    expect(await planRedis({ port: 7001, probe: probe({}) })).toEqual({ kind: "start", port: 7001 });
  });
});

describe.skipIf(!hasBinary("redis-server"))("the stack on a real Redis", () => {
  let redis: TestServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    // The stack runs the built services (node <service>/dist/main.js): build them, as npm run stack does.
    buildPackages(["gateway", "router", "responder", "cli"]);
  }, 300_000);
  afterAll(() => redis?.stop());

  it("probes: a real Redis answers PING, a closed port does not", async () => {
    expect(await probeRedis("127.0.0.1", redis.port)).toBe(true);
    expect(await probeRedis("127.0.0.1", await freePort())).toBe(false);
  });

  it("starts a local redis-server in a temp dir and removes it on stop", async () => {
    const port = await freePort();
    const local = await startLocalRedis(port);
    expect(await probeRedis("127.0.0.1", port)).toBe(true);
    await local.stop();
    expect(await probeRedis("127.0.0.1", port)).toBe(false);
    expect(existsSync(local.dir)).toBe(false);
  });

  it("runs gateway, router and responder as processes: /readyz 200, a webhook answered, stopped cleanly", async () => {
    const lines: string[] = [];
    const port = await freePort();
    const stack = await startStack({
      // debug: the router's line for each message routed ("message routed") is a debug line.
      env: { NODE_ENV: "test", LOG_LEVEL: "debug" },
      redisUrl: redis.url,
      gatewayPort: port,
      out: (l) => lines.push(l),
      statusTiming: FAST_STATUSES,
    });
    try {
      expect((await fetch(`${stack.gatewayUrl}/readyz`)).status).toBe(200);
      // The admin key the banner prints works on the admin API.
      const agents = await fetch(`${stack.gatewayUrl}/v1/admin/agents`, {
        headers: { authorization: `Bearer ${stack.generated.adminKey}` },
      });
      expect(agents.status).toBe(200);
      expect(lines.some((l) => l.startsWith("[router]") && l.includes("router started"))).toBe(true);
      const { payload, wamid } = inboundTextWebhook({
        phoneNumberId: LOCAL_PHONE_NUMBER_ID,
        from: "16505552222",
        text: "hi",
      });
      const res = await postWebhook(
        { url: `${stack.gatewayUrl}/webhook/whatsapp`, appSecret: stack.generated.appSecret },
        payload,
      );
      expect(res.status).toBe(200);
      // gateway → Redis → router → Redis → responder → the simulator in this process: the bot marks the
      // message read. (Its text reply needs the 24-hour window, which the sender reads from the store:
      // with STORE=memory each process has its own, so that needs STORE=mongo; see the report.)
      await waitFor(() => stack.simulator?.sent().some((b) => b.message_id === wamid) === true, {
        timeoutMs: 20_000,
        what: "the responder's read receipt through three processes",
      }).catch((err) => {
        throw new Error(`${err.message}\n${lines.slice(-40).join("\n")}`);
      });
      // The router logs after it publishes: its line may reach this process after the receipt.
      await waitFor(() => lines.some((l) => l.startsWith("[router]") && l.includes('"route":"bot"')), {
        what: "the router's routed line",
      });
    } finally {
      expect(await stack.stop()).toBe(true);
    }
    await expect(fetch(`${stack.gatewayUrl}/healthz`)).rejects.toThrow();
  }, 60_000);

  it("the built bin runs: usage errors exit 2, flows validate exits 0", () => {
    const bin = join(REPO_ROOT, "cli", "bin", "flank.mjs");
    const bogus = spawnSync(process.execPath, [bin, "bogus"], { encoding: "utf8" });
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toContain("Usage: flank");
    const ok = spawnSync(
      process.execPath,
      [bin, "flows", "validate", "shared/flows/appointment-booking.yaml"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    expect(ok.stdout).toMatch(/^OK /);
    expect(ok.status).toBe(0);
  });
});
