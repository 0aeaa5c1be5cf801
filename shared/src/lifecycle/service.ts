import { utimes, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { createBus } from "../bus/factory.js";
import { configSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { FlankError } from "../errors.js";
import { createLogger } from "../log/logger.js";
import { closeRedis, connectRedis, type RedisClient } from "../redis/client.js";
import { createStores } from "../store/factory.js";
import type { Stores } from "../store/types.js";
import { createHealthLog, type HealthLog } from "./health-log.js";
import { exitOnSignal, type Stoppable, stopAll } from "./shutdown.js";

/** What every service process is built from. */
export interface ServiceContext {
  config: Config;
  log: Logger;
  bus: Bus;
  stores: Stores;
  /** Present when REDIS_URL is set: shared pacing, presence, idempotency and session cache. */
  redis?: RedisClient;
  /** Where health checks report, so an outage is logged once (the gateway's /readyz too). */
  healthLog: HealthLog;
  /** Registers a started component; components stop in reverse order. */
  add(component: Stoppable): void;
}

/** Waits until the bus and stores answer; throws naming what did not. */
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
 * Checks the bus and stores every `everyMs`: an outage is logged once when it starts and once when
 * it ends (the drivers retry with backoff meanwhile), and `file`, when given, is touched while
 * both answer, so a container healthcheck can tell a live worker (no HTTP port) from a stuck one
 * by the file's age.
 */
export function watchHealth(
  deps: { bus: Bus; stores: Stores; healthLog: HealthLog; log: Logger; file?: string },
  everyMs = 10_000,
): Stoppable {
  const check = async () => {
    const [bus, stores] = await Promise.all([
      deps.bus.health().catch((err: Error) => ({ ok: false, detail: err.message })),
      deps.stores.health().catch((err: Error) => ({ ok: false, detail: err.message })),
    ]);
    deps.healthLog("bus", bus);
    deps.healthLog("stores", stores);
    if (!deps.file || !bus.ok || !stores.ok) return;
    const now = new Date();
    const file = deps.file;
    await utimes(file, now, now).catch(() => writeFile(file, ""));
  };
  const tick = () => void check().catch((err) => deps.log.warn({ err }, "health check failed"));
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return { name: "health watch", stop: async () => clearInterval(timer) };
}

/** Start failures the user fixes from one line (no stack): what, where, which variable. */
const ONE_LINE_FAILURES = new Set(["ConfigError", "ConnectError", "PortInUse", "NotReady"]);

/**
 * A service process, wired once and in order: config → logger → one signal
 * handler → bus, stores, Redis (each tried for CONNECT_TIMEOUT_MS) → wait until they answer →
 * `start` → "<name> started". A bad config prints every problem and exits 1; a server that cannot
 * be reached or a port in use prints one line naming it and the variable to fix, and exits 1; any
 * other failed start logs its stack. A signal while connecting stops at once.
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
  const starting = new AbortController();
  const healthLog = createHealthLog(log);
  // Registered first, so a signal during startup still stops what was built, and cuts a connect short.
  exitOnSignal(components, log, { deadlineMs: 5_000, totalMs: 10_000, onSignal: () => starting.abort() });
  const connect = { timeoutMs: config.connectTimeoutMs, signal: starting.signal };
  log.info(
    { bus: config.bus.kind, store: config.store.kind, redis: Boolean(config.redis.url) },
    `${name} connecting`,
  );
  try {
    const stores = await createStores(config, log, starting.signal);
    components.push({ name: "stores", stop: () => stores.close() });
    const bus = await createBus(config, log, starting.signal);
    components.push({ name: "bus", stop: () => bus.close({ timeoutMs: 5000 }) });
    const redis = config.redis.url
      ? await connectRedis(config.redis.url, log, `flank-${name}`, connect)
      : undefined;
    if (redis) components.push({ name: "redis", stop: () => closeRedis(redis) });
    await waitHealthy({ bus, stores, log }, config.connectTimeoutMs);
    await stores.init();
    const details = await start({
      config,
      log,
      bus,
      stores,
      redis,
      healthLog,
      add: (c) => components.push(c),
    });
    components.push(
      watchHealth({
        bus,
        stores,
        healthLog,
        log,
        ...(config.heartbeatFile ? { file: config.heartbeatFile } : {}),
      }),
    );
    log.info(
      { bus: config.bus.kind, store: config.store.kind, redis: Boolean(redis), ...details },
      `${name} started`,
    );
  } catch (err) {
    // Interrupted by a signal: its handler stops what was built and exits.
    if (starting.signal.aborted) return;
    if (err instanceof FlankError && ONE_LINE_FAILURES.has(err.name)) {
      process.stderr.write(`${name}: ${err.message}\n`);
    } else {
      log.fatal({ err }, `${name} failed to start`);
    }
    await stopAll(components, log, 2000);
    log.flush?.();
    process.exit(1);
  }
}
