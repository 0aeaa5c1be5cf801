import { connectRedis, createLogger, type RedisClient } from "@flank/shared";
import { hasBinary, startRedisServer, type TestServer } from "@flank/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimiterContract } from "./rate-limiter.contract.js";
import { bucketsFor } from "./rate-limiter.js";
import { MemoryRateLimiter } from "./rate-limiter-memory.js";
import { RedisRateLimiter } from "./rate-limiter-redis.js";

rateLimiterContract("memory", () => new MemoryRateLimiter());

describe.skipIf(!hasBinary("redis-server"))("redis", () => {
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
  rateLimiterContract("redis", () => new RedisRateLimiter(client));

  it("two instances share one bucket", async () => {
    const a = new RedisRateLimiter(client);
    const b = new RedisRateLimiter(client);
    const bucket = { key: "shared:1", ratePerSec: 0.1, burst: 2 };
    expect(await a.take([bucket])).toBe(0);
    expect(await b.take([bucket])).toBe(0);
    expect(await a.take([bucket])).toBeGreaterThan(0);
  });
});

describe("bucketsFor", () => {
  const pacing = { perNumberRate: 80, perRecipientRate: 1 / 6, perRecipientBurst: 10 };
  it("messages draw from the number and the pair; read receipts only from the number", () => {
    expect(bucketsFor(pacing, "123", "+1555", true)).toEqual([
      { key: "number:123", ratePerSec: 80, burst: 80 },
      { key: "pair:123:1555", ratePerSec: 1 / 6, burst: 10 },
    ]);
    expect(bucketsFor(pacing, "123", "1555", false)).toEqual([
      { key: "number:123", ratePerSec: 80, burst: 80 },
    ]);
  });
});
