import { hasBinary, startRedisServer, type TestServer } from "@flank/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe } from "vitest";
import { connectRedis, type RedisClient } from "../redis/client.js";
import { presenceContract } from "./presence.contract.js";
import { createMemoryAgentPresence } from "./presence.js";
import { createRedisAgentPresence } from "./redis-presence.js";

presenceContract("memory", async (opts) => createMemoryAgentPresence(opts));

describe.skipIf(!hasBinary("redis-server"))("redis presence", () => {
  let server: TestServer;
  let client: RedisClient;
  let n = 0;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await connectRedis(server.url, pino({ level: "silent" }));
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  presenceContract("redis", async (opts) =>
    createRedisAgentPresence(client, { ...opts, keyPrefix: `t${++n}` }),
  );
});
