import { connectRedis, createLogger, type RedisClient } from "@flank/shared";
import { hasBinary, startRedisServer, type TestServer, waitFor } from "@flank/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DelayQueue, MemoryDelayQueue } from "./delay-queue.js";
import { RedisDelayQueue } from "./delay-queue-redis.js";
import { sendLedgerContract } from "./send-ledger.contract.js";
import { decideClaim } from "./send-ledger.js";
import { MemorySendLedger } from "./send-ledger-memory.js";
import { RedisSendLedger } from "./send-ledger-redis.js";

sendLedgerContract("memory", () => new MemorySendLedger(60_000));

function delayQueueContract(name: string, make: () => DelayQueue) {
  describe(`DelayQueue contract: ${name}`, () => {
    it("hands out entries when due, hides taken ones for the lease, drops acked ones", async () => {
      const queue = make();
      await queue.schedule("later", 60_000);
      await queue.schedule("now", 0);
      expect(await queue.due(10, 40)).toEqual(["now"]);
      expect(await queue.due(10, 40)).toEqual([]);
      // not acked: back after the lease
      let again: string[] = [];
      await waitFor(
        async () => {
          again = await queue.due(10, 40);
          return again.length > 0;
        },
        { timeoutMs: 2000 },
      );
      expect(again).toEqual(["now"]);
      await queue.ack("now");
      await new Promise((r) => setImmediate(r));
      expect(await queue.due(10, 0)).toEqual([]);
    });
  });
}
delayQueueContract("memory", () => new MemoryDelayQueue());

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
  let n = 0;
  delayQueueContract("redis", () => new RedisDelayQueue(client, `test:delayed:${n++}`));
});

describe("decideClaim", () => {
  it("the owner of a live lease may claim again (its own redelivery)", () => {
    const rec = { state: "sending" as const, attempts: 1, owner: "a", leaseUntil: 2000 };
    expect(decideClaim(rec, "a", 100, 1000).claim).toEqual({ kind: "claimed", attempts: 1 });
    expect(decideClaim(rec, "b", 100, 1000).claim).toEqual({ kind: "busy", retryInMs: 1000 });
  });
});
