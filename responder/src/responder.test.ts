import {
  type GraphTestServer,
  type OpenAITestServer,
  startGraphServer,
  startOpenAIServer,
} from "@flank/devtools";
import { type Bus, createMemoryBus } from "@flank/shared/bus";
import { parseConfig } from "@flank/shared/config";
import { createEvent, type EventOf } from "@flank/shared/contract";
import { createFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { connectRedis, type RedisClient } from "@flank/shared/redis";
import { createMemoryStores, MemorySessionCache } from "@flank/shared/store";
import { hasBinary, startRedisServer, type TestServer, waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHOP_FLOW } from "./bot.harness.js";
import { startResponder } from "./index.js";
import { drainLegacyDelayQueue } from "./legacy-delay-queue.js";

const TENANT = "100200300";
const USER = "15550001111";
const log = createLogger({ level: "silent" });

let graph: GraphTestServer;
let openai: OpenAITestServer;
beforeAll(async () => {
  graph = await startGraphServer();
  openai = await startOpenAIServer(() => ({ content: "Welcome to the shop!" }));
});
afterAll(async () => {
  await graph.stop();
  await openai.stop();
});

async function run(
  env: Record<string, string>,
  opts: { redis?: RedisClient; expect?: number; script?: () => void; sessionCache?: MemorySessionCache } = {},
) {
  const { redis } = opts;
  graph.reset();
  opts.script?.();
  const config = parseConfig({
    GRAPH_API_BASE: graph.base,
    WHATSAPP_TOKEN: "config-token",
    SEND_RETRY_BASE_MS: "10",
    ...env,
  });
  const bus: Bus = createMemoryBus(log, { partitions: 2 });
  const stores = createMemoryStores();
  const now = new Date().toISOString();
  await stores.conversations.save(
    { id: `${TENANT}:${USER}`, tenant: TENANT, user: USER, stage: "start", route: "bot", lastInboundAt: now },
    0,
  );
  const results: EventOf<"outbound.result">["data"][] = [];
  await bus.tap("flank.outbound.result", (e) => void (e.type === "outbound.result" && results.push(e.data)));
  const responder = await startResponder({
    config,
    bus,
    stores,
    flows: createFlowRegistry([SHOP_FLOW]),
    sessionCache: opts.sessionCache ?? new MemorySessionCache(3600),
    log,
    ...(redis ? { redis } : {}),
  });
  await bus.publish(
    createEvent({
      type: "conversation.routed",
      tenant: TENANT,
      conversationId: `${TENANT}:${USER}`,
      data: {
        message: {
          wamid: "wamid.IN1",
          phoneNumberId: TENANT,
          from: USER,
          timestamp: now,
          type: "text",
          text: "hi",
          raw: {},
        },
        stageBefore: null,
        stageAfter: "start",
        route: "bot",
        reason: "test",
        flowId: "shop",
      },
    }),
  );
  await waitFor(() => results.length === (opts.expect ?? 1), { timeoutMs: 5000, what: "results" });
  await responder.stop();
  await responder.stop(); // idempotent
  await bus.close();
  return { results, stores };
}

describe("startResponder end to end (memory bus, Graph API and OpenAI test servers)", () => {
  it("with a model: read + typing (out of band, no result), then the model's reply through the Graph API", async () => {
    const { results, stores } = await run({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url });
    expect(graph.sent()).toEqual([
      {
        messaging_product: "whatsapp",
        status: "read",
        message_id: "wamid.IN1",
        typing_indicator: { type: "text" },
      },
      {
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: `+${USER}`,
        type: "text",
        text: { preview_url: false, body: "Welcome to the shop!" },
      },
    ]);
    expect(graph.requests.every((r) => r.headers.authorization === "Bearer config-token")).toBe(true);
    expect(results.map((r) => [r.idempotencyKey, r.status])).toEqual([["bot:wamid.IN1", "sent"]]);
    expect((await stores.messages.get("bot:wamid.IN1"))?.wamid).toBe(results[0]?.wamid);
  });

  it("offline (no OPENAI_API_KEY) and MARK_READ=false: the scripted reply only", async () => {
    const { results } = await run({ MARK_READ: "false" }, { expect: 1 });
    expect(results).toMatchObject([{ idempotencyKey: "bot:wamid.IN1", status: "sent" }]);
    expect(graph.sent().map((b) => (b.text as { body?: string } | undefined)?.body)).toEqual(["Hi!"]);
  });

  it("a crash between publishing the reply and recording it: the redelivery's request is not sent again", async () => {
    // The first write of the exchange fails, as if the process died there: the routed event is
    // handled again, the reply composed again under the same key, and the ledger stops it.
    class FailsOnce extends MemorySessionCache {
      failed = false;
      override async appendMessages(...args: Parameters<MemorySessionCache["appendMessages"]>) {
        if (!this.failed) {
          this.failed = true;
          throw new Error("crashed before the history was written");
        }
        return super.appendMessages(...args);
      }
    }
    const sessionCache = new FailsOnce(3600);
    const { results } = await run({ MARK_READ: "false" }, { expect: 2, sessionCache });
    expect(sessionCache.failed).toBe(true);
    expect(results.map((r) => [r.idempotencyKey, r.status])).toEqual([
      ["bot:wamid.IN1", "sent"],
      ["bot:wamid.IN1", "sent"],
    ]);
    expect(graph.sent().filter((b) => b.type === "text")).toHaveLength(1);
  });
});

describe.skipIf(!hasBinary("redis-server"))("startResponder with Redis pacing and ledger", () => {
  let server: TestServer;
  let client: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url, log);
  });
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
  });

  it("re-publishes once what an older version left in its delay queue", async () => {
    const left = createEvent({
      type: "outbound.request",
      tenant: TENANT,
      conversationId: `${TENANT}:${USER}`,
      data: {
        idempotencyKey: "left-behind",
        to: USER,
        source: "api",
        message: { type: "text", body: "late" },
      },
    });
    await client.sendCommand(["ZADD", "flank:delayed:outbound", "0", JSON.stringify(left)]);
    const bus = createMemoryBus(log, { partitions: 1 });
    const seen: string[] = [];
    await bus.consume({
      topic: "outbound.request",
      group: "watch",
      handler: async (e) => void (e.type === "outbound.request" && seen.push(e.data.idempotencyKey)),
    });
    expect(await drainLegacyDelayQueue(client, bus, log)).toBe(1);
    expect(await drainLegacyDelayQueue(client, bus, log)).toBe(0);
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(["left-behind"]);
    await bus.close();
  });

  it("delivers through the Redis adapters and records the key as done", async () => {
    const { results } = await run(
      { MARK_READ: "false" },
      { redis: client, script: () => graph.script({ kind: "error", code: 131000 }) },
    );
    expect(results.map((r) => r.status)).toEqual(["sent"]);
    expect(results[0]?.attempts).toBe(2);
    expect(await client.get("flank:send:bot:wamid.IN1")).toContain('"state":"done"');
  });
});
