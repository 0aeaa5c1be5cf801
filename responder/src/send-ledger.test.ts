import { newId, redisSendLedgerKey } from "@flank/shared/contract";
import { createLogger } from "@flank/shared/log";
import { connectRedis, type RedisClient, RedisClock } from "@flank/shared/redis";
import { hasBinary, redisCommands, startRedisServer, type TestServer } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendLedgerContract } from "./send-ledger.contract.js";
import { decideClaim } from "./send-ledger.js";
import { MemorySendLedger } from "./send-ledger-memory.js";
import { RedisSendLedger } from "./send-ledger-redis.js";

sendLedgerContract("memory", () => new MemorySendLedger(60_000));

describe.skipIf(!hasBinary("redis-server"))("redis adapters", () => {
  let server: TestServer;
  let client: RedisClient;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url, createLogger({ level: "silent" }));
  });
  afterAll(async () => {
    await client?.quit();
    await server?.stop();
  });
  sendLedgerContract("redis", () => new RedisSendLedger(client, new RedisClock(client), 60_000));

  const commands = redisCommands((section) => client.info(section));

  it("claims a new key with one SET; only a key with a record runs the claim script", async () => {
    const clock = new RedisClock(client);
    const ledger = new RedisSendLedger(client, clock, 60_000);
    await clock.now(); // the clock's TIME, once per 30 s
    const key = newId();
    await commands.mark();
    expect(await ledger.claim(key, "a", 60_000)).toEqual({ kind: "claimed", attempts: 0 });
    expect(await commands.since()).toEqual({ set: 1 });
    const stored = JSON.parse((await client.get(redisSendLedgerKey(key))) ?? "null");
    expect(stored).toMatchObject({ state: "sending", attempts: 0, owner: "a" });
    expect(stored.leaseUntil).toBeGreaterThan(Date.now() + 59_000);
    await commands.mark();
    expect((await ledger.claim(key, "b", 60_000)).kind).toBe("busy");
    expect(await commands.since()).toEqual({ set: 1, evalsha: 1, get: 1 });
    await commands.mark();
    await ledger.defer(key, 1, 0);
    await ledger.claim(key, "b", 60_000);
    await ledger.finish(key, { idempotencyKey: key, status: "sent", wamid: "w", attempts: 2, final: true });
    expect(await commands.since()).toEqual({ set: 4, evalsha: 1, get: 1 });
  });
});

describe("decideClaim", () => {
  it("the owner of a live lease may claim again (its own redelivery)", () => {
    const rec = { state: "sending" as const, attempts: 1, owner: "a", leaseUntil: 2000 };
    expect(decideClaim(rec, "a", 100, 1000).claim).toEqual({ kind: "claimed", attempts: 1 });
    expect(decideClaim(rec, "b", 100, 1000).claim).toEqual({ kind: "busy", retryInMs: 1000 });
  });
});
