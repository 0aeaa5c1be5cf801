import { utimes, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { createBus } from "../bus/factory.js";
import { configSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { FlankError } from "../errors.js";
import { type FlowRegistry, loadFlowRegistry } from "../flows/registry.js";
import { type IntegrationService, integrationServiceFromConfig } from "../integrations/service.js";
import { createLogger } from "../log/logger.js";
import { FileMediaStore } from "../media/file-store.js";
import type { MediaStore } from "../media/store.js";
import { closeRedis, connectRedis, type RedisClient } from "../redis/client.js";
import { createAgentPresence } from "../routing/factory.js";
import type { AgentPresence } from "../routing/presence.js";
import { createSessionCache, createStores } from "../store/factory.js";
import type { SessionCache } from "../store/session-cache.js";
import type { Stores } from "../store/types.js";
import { createHealthLog, type HealthLog } from "./health-log.js";
import { exitOnSignal, type Stoppable, stopAll } from "./shutdown.js";

/**
 * What every service is built from, wired once per process (createServiceContext): a service
 * process has one, and embedded mode one for its three services, which then share the bus, the
 * stores, the agent presence and the session cache as separate processes share them through Redis.
 */
export interface ServiceContext {
  config: Config;
  log: Logger;
  bus: Bus;
  stores: Stores;
  /** Present when REDIS_URL is set: shared pacing, presence, idempotency and session cache. */
  redis?: RedisClient;
  /** Where health checks report, so an outage is logged once (the gateway's /readyz too). */
  healthLog: HealthLog;
  presence: AgentPresence;
  sessionCache: SessionCache;
  /** Inbound media (MEDIA_DIR): the responder's media worker writes, the gateway serves. */
  media: MediaStore;
  /**
   * Business numbers and their decrypted tokens (ENCRYPTION_KEY), cached briefly: one per
   * process, so a change made through the gateway is seen at once by the services beside it.
   */
  integrations: IntegrationService;
  /** The flows of FLOW / FLOW_DIRS, loaded on first call (the gateway never needs them). */
  flows(): Promise<FlowRegistry>;
}

/** A started service: stopped with the process, `details` logged in its "started" line. */
export interface RunningService extends Stoppable {
  details?: Record<string, unknown>;
}

/** The one start shape: every package exports `service`, and main.ts runs it with runService. */
export type Service = (ctx: ServiceContext) => Promise<RunningService>;

/**
 * Connects the bus, stores and Redis (each tried for CONNECT_TIMEOUT_MS), waits until they
 * answer, and builds the rest of the context; every part is registered with `add` as it starts,
 * so the caller stops what was built when a later step fails.
 */
export async function createServiceContext(opts: {
  config: Config;
  log: Logger;
  name: string;
  add: (component: Stoppable) => void;
  signal?: AbortSignal;
  /** Replaces the flows read from FLOW / FLOW_DIRS (tests, the embedded mode's options). */
  flows?: FlowRegistry;
}): Promise<ServiceContext> {
  const { config, log, add, signal } = opts;
  const stores = await createStores(config, log, signal);
  add({ name: "stores", stop: () => stores.close() });
  const bus = await createBus(config, log, signal);
  add({ name: "bus", stop: () => bus.close({ timeoutMs: 5000 }) });
  const connect = { timeoutMs: config.connectTimeoutMs, ...(signal ? { signal } : {}) };
  const redis = config.redis.url
    ? await connectRedis(config.redis.url, log, `flank-${opts.name}`, connect)
    : undefined;
  if (redis) add({ name: "redis", stop: () => closeRedis(redis) });
  await waitHealthy({ bus, stores, log }, config.connectTimeoutMs);
  await stores.init();
  let flows: Promise<FlowRegistry> | undefined = opts.flows && Promise.resolve(opts.flows);
  return {
    config,
    log,
    bus,
    stores,
    ...(redis ? { redis } : {}),
    healthLog: createHealthLog(log),
    presence: createAgentPresence(config, redis),
    sessionCache: createSessionCache(config, redis, log),
    media: new FileMediaStore(config.media.dir),
    integrations: integrationServiceFromConfig(config, stores.integrations, log),
    flows: () => {
      flows ??= loadFlowRegistry({ defaultFlow: config.flow, dirs: config.router.flowDirs });
      return flows;
    },
  };
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
 * handler → createServiceContext → `service` → "<name> started". A bad config prints every
 * problem and exits 1; a server that cannot be reached or a port in use prints one line naming it
 * and the variable to fix, and exits 1; any other failed start logs its stack. A signal while
 * connecting stops at once.
 */
export async function runService(name: string, service: Service) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const log = createLogger({ level: config.logLevel, name, secrets: configSecrets(config) });
  const components: Stoppable[] = [];
  const add = (c: Stoppable) => components.push(c);
  const starting = new AbortController();
  // Registered first, so a signal during startup still stops what was built, and cuts a connect short.
  exitOnSignal(components, log, { deadlineMs: 5_000, totalMs: 10_000, onSignal: () => starting.abort() });
  log.info(
    { bus: config.bus.kind, store: config.store.kind, redis: Boolean(config.redis.url) },
    `${name} connecting`,
  );
  try {
    const ctx = await createServiceContext({ config, log, name, add, signal: starting.signal });
    const running = await service(ctx);
    add(running);
    const { bus, stores, healthLog } = ctx;
    add(
      watchHealth({
        bus,
        stores,
        healthLog,
        log,
        ...(config.heartbeatFile ? { file: config.heartbeatFile } : {}),
      }),
    );
    log.info(
      { bus: config.bus.kind, store: config.store.kind, redis: Boolean(ctx.redis), ...running.details },
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
