import { hasBinary, redisCommands, startRedisServer, type TestServer } from "@flank/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisSessionKey, redisSessionMessagesKey } from "../events/names.js";
import { connectRedis, type RedisClient } from "../redis/client.js";
import { sessionCacheContract } from "./session-cache.contract.js";
import { MemorySessionCache } from "./session-cache-memory.js";
import { RedisSessionCache } from "./session-cache-redis.js";

const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });

sessionCacheContract("memory", { open: async (ttl) => new MemorySessionCache(ttl) });

describe.skipIf(!hasBinary("redis-server"))("redis", () => {
  let server: TestServer | undefined;
  const clients: RedisClient[] = [];
  const connect = async () => {
    if (!server) throw new Error("redis not started");
    const client = await connectRedis(server.url, log);
    clients.push(client);
    return client;
  };

  sessionCacheContract("redis", {
    setup: async () => {
      server = await startRedisServer();
    },
    open: async (ttl) => new RedisSessionCache(await connect(), ttl, log),
    teardown: async () => {
      for (const client of clients.splice(0)) await client.close();
      await server?.stop();
    },
  });

  describe("redis specifics", () => {
    let own: TestServer | undefined;
    let client: RedisClient;
    beforeAll(async () => {
      own = await startRedisServer();
      client = await connectRedis(own.url, log);
    });
    afterAll(async () => {
      await client?.close();
      await own?.stop();
    });

    it("treats a corrupt snapshot as a miss and skips corrupt entries", async () => {
      const cache = new RedisSessionCache(client, 60, log);
      await client.set(redisSessionKey("t:bad"), "{not json");
      expect(await cache.getConversation("t:bad")).toBeUndefined();
      await client.set(redisSessionKey("t:bad2"), JSON.stringify({ id: "t:bad2", route: "nowhere" }));
      expect(await cache.getConversation("t:bad2")).toBeUndefined();
      await client.rPush(redisSessionMessagesKey("t:bad"), [
        "oops",
        JSON.stringify({ role: "user", text: "hi", at: "x" }),
      ]);
      expect(await cache.recent("t:bad", 5)).toEqual([{ role: "user", text: "hi", at: "x" }]);
    });

    it("appends and renews the TTL with two commands, and trims only past keep (no script)", async () => {
      const cache = new RedisSessionCache(client, 7200, log);
      const entry = (i: number) => ({ role: "user" as const, text: `m${i}`, at: "2026-01-01T00:00:00.000Z" });
      const commands = redisCommands((section) => client.info(section));
      await commands.mark();
      await cache.appendMessages("t:one", [entry(0), entry(1)], 3);
      expect(await commands.since()).toEqual({ rpush: 1, expire: 1 });
      await commands.mark();
      await cache.appendMessages("t:one", [entry(2), entry(3)], 3);
      expect(await commands.since()).toEqual({ rpush: 1, expire: 1, ltrim: 1 });
      expect((await cache.recent("t:one", 10)).map((e) => e.text)).toEqual(["m1", "m2", "m3"]);
      expect(await client.ttl(redisSessionMessagesKey("t:one"))).toBeGreaterThan(7000);
    });

    it("sets a TTL on both keys", async () => {
      const cache = new RedisSessionCache(client, 7200, log);
      await cache.putConversation({
        id: "t:ttl",
        tenant: "t",
        user: "u",
        stage: null,
        route: "bot",
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "2026-01-01T00:00:00.000Z",
        version: 1,
      });
      await cache.appendMessages("t:ttl", [{ role: "user", text: "hi", at: "2026-01-01T00:00:00.000Z" }], 5);
      for (const key of [redisSessionKey("t:ttl"), redisSessionMessagesKey("t:ttl")]) {
        const ttl = await client.ttl(key);
        expect(ttl).toBeGreaterThan(7000);
        expect(ttl).toBeLessThanOrEqual(7200);
      }
    });
  });
});
