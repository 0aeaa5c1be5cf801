import { pino } from "pino";
import { describe } from "vitest";
import { connectRedis } from "../redis/client.js";
import { hasBinary, startRedisServer, type TestServer } from "../testing/servers.js";
import { busContract } from "./bus.contract.js";
import { PartitionedBus } from "./partitioned-bus.js";
import { RedisBackend } from "./redis.js";

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
