import { createLogger } from "@flank/shared/log";
import { connectRedis, type RedisClient } from "@flank/shared/redis";
import { hasBinary, startRedisServer, type TestServer } from "@flank/testing";
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
  sendLedgerContract("redis", () => new RedisSendLedger(client, 60_000));
});

describe("decideClaim", () => {
  it("the owner of a live lease may claim again (its own redelivery)", () => {
    const rec = { state: "sending" as const, attempts: 1, owner: "a", leaseUntil: 2000 };
    expect(decideClaim(rec, "a", 100, 1000).claim).toEqual({ kind: "claimed", attempts: 1 });
    expect(decideClaim(rec, "b", 100, 1000).claim).toEqual({ kind: "busy", retryInMs: 1000 });
  });
});
