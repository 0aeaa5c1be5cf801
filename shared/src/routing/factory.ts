import type { Config } from "../config/schema.js";
import type { RedisClient } from "../redis/client.js";
import { type AgentPresence, createMemoryAgentPresence } from "./presence.js";
import { createRedisAgentPresence } from "./redis-presence.js";

/** Agent presence shared by every instance through Redis when there is one, else per process. */
export function createAgentPresence(config: Config, redis: RedisClient | undefined): AgentPresence {
  const opts = { ttlMs: config.router.agentHeartbeatTtlMs, maxLoad: config.router.agentMaxConversations };
  return redis ? createRedisAgentPresence(redis, opts) : createMemoryAgentPresence(opts);
}
