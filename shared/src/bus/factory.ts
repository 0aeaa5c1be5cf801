import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { FlankError } from "../errors.js";
import type { Bus, BusTuning } from "./bus.js";
import { createMemoryBus } from "./memory.js";
import { createRedisBus } from "./redis.js";

export const busTuning = (config: Config): Partial<BusTuning> => ({
  partitions: config.bus.partitions,
  maxAttempts: config.bus.maxAttempts,
  claimTimeoutMs: config.bus.claimTimeoutMs,
  maxInFlight: config.bus.maxInFlight,
  readWaitMs: config.bus.readWaitMs,
  dedupTtlSeconds: config.bus.dedupTtlSeconds,
  streamMaxLen: config.bus.streamMaxLen,
});

/** The bus `BUS` names (docs/configuration.md), reached within CONNECT_TIMEOUT_MS (ConnectError past it). */
export async function createBus(config: Config, log: Logger, signal?: AbortSignal): Promise<Bus> {
  const tuning = busTuning(config);
  const connect = { timeoutMs: config.connectTimeoutMs, ...(signal ? { signal } : {}) };
  switch (config.bus.kind) {
    case "memory":
      return createMemoryBus(log, tuning);
    case "redis":
      if (!config.redis.url) throw new FlankError("ConfigError", "BUS=redis needs REDIS_URL");
      return createRedisBus(config.redis.url, log, tuning, connect);
    case "nats": {
      if (!config.nats.url) throw new FlankError("ConfigError", "BUS=nats needs NATS_URL");
      // Loaded only when chosen, like the Mongo stores: a Redis deployment does not carry the client.
      const { createNatsBus } = await import("./nats.js");
      return createNatsBus(config.nats.url, log, tuning, connect);
    }
  }
}
