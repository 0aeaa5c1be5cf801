import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { FlankError } from "../errors.js";
import type { RedisClient } from "../redis/client.js";
import { createMemoryStores } from "./memory.js";
import type { SessionCache } from "./session-cache.js";
import { MemorySessionCache } from "./session-cache-memory.js";
import { RedisSessionCache } from "./session-cache-redis.js";
import type { Stores } from "./types.js";

/**
 * The stores `STORE` names (docs/configuration.md), reached within CONNECT_TIMEOUT_MS (ConnectError past
 * it). Call `init()` on the result before serving.
 */
export async function createStores(config: Config, log: Logger, signal?: AbortSignal): Promise<Stores> {
  if (config.store.kind === "memory")
    return createMemoryStores({ maxMessages: config.store.memoryMaxMessages });
  const { uri, db } = config.mongo;
  // parseConfig already requires MONGODB_URI with STORE=mongo; this guards hand-built configs.
  if (!uri) throw new FlankError("ConfigError", "MONGODB_URI is required when STORE=mongo");
  // Loaded only here: the driver allocates ~20 MB at import (bson's serialize buffer), which a
  // process on STORE=memory should not carry.
  const { createMongoStores } = await import("./mongo.js");
  return createMongoStores({ uri, db }, log.child({ component: "mongo" }), {
    timeoutMs: config.connectTimeoutMs,
    ...(signal ? { signal } : {}),
  });
}

/** The session cache on the given Redis client, or in memory when there is none (embedded mode). */
export function createSessionCache(
  config: Config,
  redis: RedisClient | undefined,
  log: Logger,
): SessionCache {
  const ttl = config.store.sessionTtlSeconds;
  return redis
    ? new RedisSessionCache(redis, ttl, log.child({ component: "session-cache" }))
    : new MemorySessionCache(ttl);
}
