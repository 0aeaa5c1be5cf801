import { createRedisBus, type PartitionedBus } from "@flank/shared/bus";
import { type FlankEvent, GROUPS, redisLeaseKey } from "@flank/shared/contract";
import { loadFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { connectRedis } from "@flank/shared/redis";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { type Conversation, createMemoryStores, MemorySessionCache } from "@flank/shared/store";
import { hasBinary, startRedisServer, type TestServer, waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouterWorker, type RouterCache, type RouterWorker } from "./router-worker.js";
import { inbound, observe, textFrom } from "./test-helpers.js";

const log = createLogger({ level: "silent" });

// Ten messages per user through the booking flow, with the stage each must land on.
const SCRIPT: [FlankEventMaker, string][] = [
  [(u) => textFrom(u, "hi"), "greeting"],
  [(u) => textFrom(u, "book"), "collect"],
  [(u) => textFrom(u, "12/05 at 10:30"), "confirm"],
  [
    (u) => inbound(u, { type: "interactive", interactive: { kind: "button_reply", id: "confirm.change" } }),
    "collect",
  ],
  [(u) => textFrom(u, "hmm"), "collect"],
  [(u) => textFrom(u, "13/05 at 9am"), "confirm"],
  [(u) => textFrom(u, "yes"), "done"],
  [(u) => textFrom(u, "hello"), "greeting"],
  [(u) => textFrom(u, "appointment"), "collect"],
  [(u) => textFrom(u, "14/05 11:00"), "confirm"],
];
type FlankEventMaker = (user: string) => FlankEvent;

/** A session cache per instance that counts what its instance handled. */
function countingCache(): RouterCache & { puts: number } {
  const inner = new MemorySessionCache(3600);
  const cache = {
    puts: 0,
    getConversation: (id: string) => inner.getConversation(id),
    putConversation: async (c: Conversation) => {
      cache.puts++;
      await inner.putConversation(c);
    },
  };
  return cache;
}

describe.skipIf(!hasBinary("redis-server"))("two router instances on one Redis bus", () => {
  let server: TestServer;
  const buses: PartitionedBus[] = [];
  const workers: RouterWorker[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    for (const b of buses) await b.close();
    await server?.stop();
  });

  it("routes 1,000 messages from 100 users exactly once, in order, to the right stages", async () => {
    const tuning = { partitions: 8, claimTimeoutMs: 2000, retryBaseDelayMs: 20 };
    const connect = async () => {
      const bus = await createRedisBus(server.url, log, tuning);
      buses.push(bus);
      return bus;
    };
    const [busA, busB, busObserver] = [await connect(), await connect(), await connect()];
    // The stores are the shared database; each instance has its own bus connection, cache and worker.
    const stores = createMemoryStores();
    const flows = await loadFlowRegistry({ defaultFlow: "appointment-booking" });
    const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
    const caches = [countingCache(), countingCache()];
    for (const [i, bus] of [busA, busB].entries()) {
      const worker = createRouterWorker({
        bus,
        stores,
        flows,
        presence,
        log,
        cache: caches[i],
      });
      workers.push(worker);
      await worker.start();
    }
    const seen = await observe(busObserver, ["conversation.routed"]);
    // Publish only once the two instances share the partitions, so both do part of the work.
    const redis = await connectRedis(server.url, log);
    const leases = Array.from({ length: tuning.partitions }, (_, p) =>
      redisLeaseKey(`${GROUPS.router}:inbound.message:${p}`),
    );
    await waitFor(
      async () => {
        const owners = await redis.mGet(leases);
        return owners.every(Boolean) && new Set(owners).size === 2;
      },
      { timeoutMs: 15_000, what: "both routers to hold partitions" },
    );
    await redis.close();

    const users = Array.from({ length: 100 }, (_, i) => `55119${String(i).padStart(5, "0")}`);
    const published: FlankEvent[] = [];
    for (const [make] of SCRIPT) for (const user of users) published.push(make(user));
    for (let i = 0; i < published.length; i += 100) await busObserver.publish(published.slice(i, i + 100));

    await waitFor(() => seen.routed().length >= 1000, { timeoutMs: 30_000, what: "1000 routed" });
    await seen.close();
    const routed = seen.routed();
    expect(routed).toHaveLength(1000);
    expect(new Set(routed.map((e) => e.data.message.wamid)).size).toBe(1000);

    const byUser = new Map<string, string[][]>();
    for (const e of routed) {
      const list = byUser.get(e.conversationId) ?? [];
      list.push([e.data.message.wamid, e.data.stageAfter]);
      byUser.set(e.conversationId, list);
    }
    for (const user of users) {
      const id = `111:${user}`;
      const expected = published
        .filter((e) => e.conversationId === id && e.type === "inbound.message")
        .map((e, n) => [e.type === "inbound.message" ? e.data.wamid : "", SCRIPT[n]?.[1]]);
      expect(byUser.get(id)).toEqual(expected);
      expect(await stores.conversations.get(id)).toMatchObject({
        stage: "confirm",
        route: "bot",
        version: 10,
      });
    }
    // Both instances did part of the work.
    expect(caches[0]?.puts).toBeGreaterThan(0);
    expect(caches[1]?.puts).toBeGreaterThan(0);
    expect((caches[0]?.puts ?? 0) + (caches[1]?.puts ?? 0)).toBe(1000);
  });
});
