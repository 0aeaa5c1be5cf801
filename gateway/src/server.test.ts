import { type Bus, createRedisBus } from "@flank/shared/bus";
import type { FlankEvent } from "@flank/shared/contract";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores, type Stores } from "@flank/shared/store";
import {
  whatsappFixtures as fx,
  hasBinary,
  startRedisServer,
  type TestServer,
  waitFor,
} from "@flank/testing";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningGateway, startGateway } from "./gateway.js";
import { signed, silentLog, testConfig, VERIFY } from "./test-harness.js";

// Over a real socket and a real Redis: what Meta sees.
describe.skipIf(!hasBinary("redis-server"))("gateway over HTTP with the Redis bus", () => {
  const log = silentLog();
  let redis: TestServer;
  let bus: Bus;
  let stores: Stores;
  let gateway: RunningGateway;
  let base: string;
  const seen: FlankEvent[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    bus = await createRedisBus(redis.url, log, { partitions: 4, claimTimeoutMs: 1000, retryBaseDelayMs: 10 });
    stores = createMemoryStores();
    gateway = await startGateway(
      {
        config: testConfig({ BUS: "redis", REDIS_URL: redis.url }),
        bus,
        stores,
        log,
        registry: new Registry(),
        presence: createMemoryAgentPresence({ ttlMs: 60_000, maxLoad: 0 }),
      },
      { port: 0, hostname: "127.0.0.1" },
    );
    base = `http://127.0.0.1:${gateway.port}`;
    await bus.consume({
      topic: "inbound.message",
      group: "server-test",
      handler: async (e) => {
        seen.push(e);
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await bus?.close({ timeoutMs: 1000 });
    await redis?.stop();
  });

  const post = (body: object) => fetch(`${base}/webhook/whatsapp`, signed(body));

  it("verifies the webhook", async () => {
    const res = await fetch(
      `${base}/webhook/whatsapp?hub.mode=subscribe&hub.challenge=77&hub.verify_token=${VERIFY}`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("77");
  });

  it("appends signed webhooks to the Redis streams and drops redeliveries", async () => {
    const first = await post(fx.inbound({ id: "wamid.R1", type: "text", text: { body: "one" } }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 1, duplicates: 0 });
    await waitFor(() => seen.length === 1, { what: "the first event on the bus" });
    expect(seen[0]).toMatchObject({ type: "inbound.message", data: { wamid: "wamid.R1", text: "one" } });

    const again = await post(fx.inbound({ id: "wamid.R1", type: "text", text: { body: "one" } }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 1, duplicates: 1 });
    const next = await post(fx.inbound({ id: "wamid.R2", type: "text", text: { body: "two" } }));
    expect(next.status).toBe(200);
    await waitFor(() => seen.length === 2, { what: "the second event" });
    expect(seen.map((e) => (e.data as { wamid: string }).wamid)).toEqual(["wamid.R1", "wamid.R2"]);
  });

  it("refuses a bad signature over the socket", async () => {
    const raw = JSON.stringify(fx.inbound({ id: "wamid.BAD", type: "text", text: { body: "x" } }));
    const res = await fetch(`${base}/webhook`, { ...signed(raw, "not-the-secret") });
    expect(res.status).toBe(403);
  });

  it("records status webhooks on the stored message (status writer)", async () => {
    await stores.messages.insert({
      id: "out-1",
      wamid: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI0RjQyNUE3NEYxMzAzMzQ5MkEA",
      conversationId: `${fx.PNID}:${fx.WA_ID}`,
      tenant: fx.PNID,
      direction: "outbound",
      from: fx.PNID,
      to: fx.WA_ID,
      type: "text",
      timestamp: new Date().toISOString(),
      status: "queued",
      statuses: [],
      raw: {},
    });
    const res = await post(fx.statusWebhook({ status: "delivered" }));
    expect(res.status).toBe(200);
    await waitFor(async () => (await stores.messages.get("out-1"))?.status === "delivered", {
      timeoutMs: 10_000,
    });
  });

  it("answers 503 once Redis is gone, so Meta retries", async () => {
    await redis.stop();
    let last = 0;
    await waitFor(
      async () => {
        last = (await post(fx.inbound({ id: "wamid.R3", type: "text", text: { body: "lost?" } }))).status;
        return last === 503;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "503 with Redis down" },
    );
    expect(last).toBe(503);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failed: string[] }).failed).toEqual(["bus"]);
  });
});
