import { hasBinary, redisCommands, startRedisServer, type TestServer, waitFor } from "@flank/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createEvent } from "../events/event.js";
import { REDIS_TAPS_KEY, redisLeaseKey } from "../events/names.js";
import type { FlankEvent } from "../events/schemas.js";
import { connectRedis } from "../redis/client.js";
import { busContract } from "./bus.contract.js";
import { PartitionedBus } from "./partitioned-bus.js";
import { createRedisBus, RedisBackend, RedisLeases } from "./redis.js";

const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });
let server: TestServer;

describe.skipIf(!hasBinary("redis-server"))("redis", () => {
  busContract("redis", {
    setup: async () => {
      server = await startRedisServer();
    },
    connect: async (tuning) => {
      const backend = new RedisBackend(await connectRedis(server.url, log), log, 100_000);
      return { bus: new PartitionedBus(backend, log, tuning), backend };
    },
    teardown: async () => server?.stop(),
  });
});

describe.skipIf(!hasBinary("redis-server"))("redis taps", () => {
  it("publishes an event once, on one channel naming all its tap channels", async () => {
    const own = await startRedisServer();
    const bus = await createRedisBus(own.url, log, { partitions: 1 });
    const raw = await connectRedis(own.url, log);
    try {
      const seen: string[] = [];
      await raw.pSubscribe("flank.*", (_message, channel) => void seen.push(channel));
      const tapped: string[] = [];
      await bus.tap("flank.>", (_e, channel) => void tapped.push(channel));
      const event = () =>
        createEvent({
          type: "conversation.updated",
          tenant: "106540352242922",
          conversationId: "106540352242922:16505551234",
          data: { change: "closed", reason: "test" },
        });
      await bus.publish(event());
      await bus.announce(event());
      await waitFor(() => tapped.length === 4, { what: "both channels of both events on the tap" });
      const combined =
        "flank.tap\nflank.conversation.updated\nflank.conversation.106540352242922:16505551234\n";
      expect(seen).toEqual([combined, combined]);
      expect(tapped).toEqual([
        "flank.conversation.updated",
        "flank.conversation.106540352242922:16505551234",
        "flank.conversation.updated",
        "flank.conversation.106540352242922:16505551234",
      ]);
    } finally {
      await raw.close();
      await bus.close();
      await own.stop();
    }
  });
});

describe.skipIf(!hasBinary("redis-server"))("redis taps on demand", () => {
  const conv = "106540352242922:16505550000";
  const event = (conversationId = conv) =>
    createEvent({
      type: "conversation.updated",
      tenant: "106540352242922",
      conversationId,
      data: { change: "closed", reason: "test" },
    });
  /** PUBLISH calls since the server started. */
  const publishes = (client: Awaited<ReturnType<typeof connectRedis>>) => {
    const commands = redisCommands((section) => client.info(section));
    return async () => (await commands.since()).publish ?? 0;
  };

  it("publishes only events some open tap wants, from the moment another process's tap() resolves", async () => {
    const own = await startRedisServer();
    const publisher = await createRedisBus(own.url, log, { partitions: 1 });
    const watcher = await createRedisBus(own.url, log, { partitions: 1 });
    const raw = await connectRedis(own.url, log);
    const published = publishes(raw);
    try {
      await publisher.publish(event());
      await publisher.announce(event());
      expect(await published()).toBe(0);

      const other: string[] = [];
      await watcher.tap("flank.conversation.someone-else", (e) => void other.push(e.id));
      await publisher.publish(event());
      expect(await published()).toBe(0);

      const seen: string[] = [];
      await watcher.tap(`flank.conversation.${conv}`, (e) => void seen.push(e.id));
      const live = [event(), event()];
      await publisher.publish(live[0] as FlankEvent);
      await publisher.announce(live[1] as FlankEvent);
      await waitFor(() => seen.length === 2, { what: "both events on the other process's tap" });
      expect(seen).toEqual(live.map((e) => e.id));
      expect(await published()).toBe(2);
      expect(other).toEqual([]);
    } finally {
      await raw.close();
      await watcher.close();
      await publisher.close();
      await own.stop();
    }
  });

  it("registers its taps again as soon as a Redis that lost them is back", async () => {
    const own = await startRedisServer(); // no AOF: a restart forgets the registry
    const publisher = await createRedisBus(own.url, log, { partitions: 1 });
    const watcher = await createRedisBus(own.url, log, { partitions: 1 });
    try {
      const seen: string[] = [];
      await watcher.tap(`flank.conversation.${conv}`, (e) => void seen.push(e.id));
      await own.restart();
      await waitFor(async () => (await publisher.health()).ok && (await watcher.health()).ok, {
        what: "both buses back",
      });
      // Well within the 10 s renewal: the registration came back with the connection.
      await waitFor(
        async () => {
          await publisher.publish(event());
          return seen.length > 0;
        },
        { timeoutMs: 3000, intervalMs: 200, what: "the tap registered again" },
      );
    } finally {
      await watcher.close({ timeoutMs: 1000 });
      await publisher.close({ timeoutMs: 1000 });
      await own.stop();
    }
  }, 20_000);

  it("stops publishing for a registration that lapsed (its process died)", async () => {
    const own = await startRedisServer();
    const publisher = await createRedisBus(own.url, log, { partitions: 1 });
    const raw = await connectRedis(own.url, log);
    const published = publishes(raw);
    try {
      await raw.sendCommand(["ZADD", REDIS_TAPS_KEY, String(Date.now() - 1000), "flank.>"]);
      await publisher.publish(event());
      expect(await published()).toBe(0);
      await raw.sendCommand(["ZADD", REDIS_TAPS_KEY, String(Date.now() + 60_000), "flank.>"]);
      await publisher.publish(event());
      expect(await published()).toBe(1);
    } finally {
      await raw.close();
      await publisher.close();
      await own.stop();
    }
  });
});

describe.skipIf(!hasBinary("redis-server"))("redis leases", () => {
  it("renews a held lease with one command, retakes a lapsed one, and leaves another owner's alone", async () => {
    const own = await startRedisServer();
    const client = await connectRedis(own.url, log);
    const leases = new RedisLeases(client);
    const commands = redisCommands((section) => client.info(section));
    try {
      const names = Array.from({ length: 16 }, (_, i) => `g:inbound.message:${i}`);
      for (const name of names) expect(await leases.acquire(name, "me", 5000)).toBe(true);
      await leases.renew(names, "me", 5000); // loads the script
      await commands.mark();
      expect(await leases.renew(names, "me", 5000)).toEqual(names.map(() => true));
      expect(await commands.since()).toEqual({ evalsha: 1, set: 16 });

      await client.del(redisLeaseKey("g:inbound.message:0"));
      await client.set(redisLeaseKey("g:inbound.message:1"), "other", { PX: 1000 });
      expect(await leases.renew(names.slice(0, 3), "me", 5000)).toEqual([true, false, true]);
      expect(await client.get(redisLeaseKey("g:inbound.message:0"))).toBe("me");
      expect(await client.get(redisLeaseKey("g:inbound.message:1"))).toBe("other");
      expect(await client.pTTL(redisLeaseKey("g:inbound.message:2"))).toBeGreaterThan(4000);
    } finally {
      await client.close();
      await own.stop();
    }
  });
});

describe.skipIf(!hasBinary("redis-server"))("redis bus through a Redis restart", () => {
  it("a handler failing while Redis is down is retried once it is back, without spending attempts", async () => {
    const own = await startRedisServer({ appendonly: true });
    const bus = await createRedisBus(own.url, log, { partitions: 1, claimTimeoutMs: 2000, maxAttempts: 1 });
    try {
      let open = () => {};
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const attempts: number[] = [];
      const dead: string[] = [];
      const done: string[] = [];
      await bus.consume({
        topic: "dlq",
        group: "dlq-watch",
        handler: async (e) => void (e.type === "dlq" && dead.push(e.data.error)),
      });
      await bus.consume({
        topic: "inbound.message",
        group: "outage",
        handler: async (e, ctx) => {
          attempts.push(ctx.attempt);
          await gate;
          // What a router does: its effects go through the bus, which is down for a while.
          await bus.publish(
            createEvent({
              type: "conversation.updated",
              tenant: e.tenant,
              conversationId: e.conversationId,
              data: { change: "closed", reason: "test" },
            }),
          );
          done.push(e.id);
        },
      });
      const event = createEvent({
        type: "inbound.message",
        tenant: "t",
        conversationId: "t:1",
        data: {
          wamid: "wamid.outage",
          phoneNumberId: "t",
          from: "1",
          timestamp: new Date().toISOString(),
          type: "text",
          text: "hi",
          raw: {},
        },
      });
      await bus.publish(event);
      await waitFor(() => attempts.length === 1, { what: "the handler to start" });
      await own.kill();
      open();
      await waitFor(async () => !(await bus.health()).ok, { what: "the bus to notice" });
      await own.restart();
      await waitFor(() => done.includes(event.id), { timeoutMs: 15_000, what: "the handler to succeed" });
      // Every try was attempt 1: the outage spent none, and nothing went to the dead-letter topic.
      expect(attempts.every((a) => a === 1)).toBe(true);
      expect(dead).toEqual([]);
    } finally {
      await bus.close({ timeoutMs: 1000 });
      await own.stop();
    }
  }, 30_000);
});
