import { utimes, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { createBus } from "../bus/factory.js";
import { configSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { FlankError } from "../errors.js";
import { createLogger } from "../log/logger.js";
import { connectRedis, type RedisClient } from "../redis/client.js";
import { createStores } from "../store/factory.js";
import type { Stores } from "../store/types.js";
import { exitOnSignal, type Stoppable } from "./shutdown.js";

/** What every service process is built from. */
export interface ServiceContext {
  config: Config;
  log: Logger;
  bus: Bus;
  stores: Stores;
  /** Present when REDIS_URL is set: shared pacing, presence, idempotency and session cache. */
  redis?: RedisClient;
  /** Registers a started component; components stop in reverse order. */
  add(component: Stoppable): void;
}

/** Waits until the bus and stores answer (CONVENTIONS 2); throws naming what did not. */
export async function waitHealthy(
  deps: { bus: Bus; stores: Stores; log: Logger },
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const [bus, stores] = await Promise.all([
      deps.bus.health().catch((err: Error) => ({ ok: false, detail: err.message })),
      deps.stores.health().catch((err: Error) => ({ ok: false, detail: err.message })),
    ]);
    if (bus.ok && stores.ok) return;
    if (Date.now() > deadline) {
      throw new FlankError("NotReady", `dependencies not ready: ${JSON.stringify({ bus, stores })}`, {
        retryable: true,
      });
    }
    if (attempt % 10 === 1) deps.log.warn({ bus, stores }, "waiting for dependencies");
    await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
  }
}

/**
 * Touches `file` every 10 s while the bus and stores answer, so a container healthcheck can tell
 * a live worker (no HTTP port) from a stuck one by the file's age.
 */
export function startHeartbeat(
  file: string,
  deps: { bus: Bus; stores: Stores; log: Logger },
  everyMs = 10_000,
): Stoppable {
  const beat = async () => {
    const [bus, stores] = await Promise.all([deps.bus.health(), deps.stores.health()]);
    if (!bus.ok || !stores.ok) return deps.log.warn({ bus, stores }, "unhealthy: heartbeat not written");
    const now = new Date();
    await utimes(file, now, now).catch(() => writeFile(file, ""));
  };
  const tick = () => void beat().catch((err) => deps.log.warn({ err }, "heartbeat failed"));
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return { name: "heartbeat", stop: async () => clearInterval(timer) };
}

/**
 * A service process, wired once and in order (CONVENTIONS 2–3): config → logger → one signal
 * handler → bus, stores, Redis → wait until they answer → `start` → "<name> started". A bad
 * config prints every problem and exits 1; a failed start stops what was built and exits 1.
 */
export async function runService(
  name: string,
  start: (ctx: ServiceContext) => Promise<Record<string, unknown>>,
) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const log = createLogger({ level: config.logLevel, name, secrets: configSecrets(config) });
  const components: Stoppable[] = [];
  // Registered first, so a signal during startup still stops what was built.
  exitOnSignal(components, log, { deadlineMs: 15_000 });
  try {
    const stores = await createStores(config, log);
    components.push({ name: "stores", stop: () => stores.close() });
    const bus = await createBus(config, log);
    components.push({ name: "bus", stop: () => bus.close({ timeoutMs: 5000 }) });
    const redis = config.redis.url ? await connectRedis(config.redis.url, log, `flank-${name}`) : undefined;
    if (redis) components.push({ name: "redis", stop: () => redis.close() });
    await waitHealthy({ bus, stores, log });
    await stores.init();
    const details = await start({ config, log, bus, stores, redis, add: (c) => components.push(c) });
    if (config.heartbeatFile) components.push(startHeartbeat(config.heartbeatFile, { bus, stores, log }));
    log.info(
      { bus: config.bus.kind, store: config.store.kind, redis: Boolean(redis), ...details },
      `${name} started`,
    );
  } catch (err) {
    log.fatal({ err }, `${name} failed to start`);
    for (const c of [...components].reverse()) await c.stop().catch(() => undefined);
    log.flush?.();
    process.exit(1);
  }
}
