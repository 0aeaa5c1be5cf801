import { constants } from "node:os";
import type { Logger } from "pino";

/** A started component; `stop()` must be idempotent. */
export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** Wraps a stop function so a second call returns the first call's promise. */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= stop();
    return running;
  };
}

/**
 * Stops components in reverse start order (HTTP → consumers → bus → stores), each bounded by the
 * deadline. Resolves true when every step finished cleanly.
 */
export async function stopAll(
  components: readonly Stoppable[],
  log: Logger,
  deadlineMs: number,
): Promise<boolean> {
  let clean = true;
  for (const component of [...components].reverse()) {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), deadlineMs);
    });
    try {
      const outcome = await Promise.race([component.stop().then(() => "stopped" as const), timeout]);
      if (outcome === "timeout") {
        clean = false;
        log.error({ component: component.name, deadlineMs }, "component did not stop in time");
      } else log.info({ component: component.name, durationMs: Date.now() - started }, "component stopped");
    } catch (err) {
      clean = false;
      log.error({ err, component: component.name }, "component failed to stop");
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

/**
 * The one signal handler of a service process: on SIGTERM or SIGINT, stops everything and exits
 * with 128 + the signal number, or 1 when a step failed or overran its deadline. Stopping never
 * takes more than `totalMs` (then it exits 1), and a second signal exits at once.
 */
export function exitOnSignal(
  components: readonly Stoppable[],
  log: Logger,
  opts: {
    /** Per component. */
    deadlineMs?: number;
    /** For the whole stop. */
    totalMs?: number;
    /** Called first, on the first signal (a service cuts its startup short). */
    onSignal?: () => void;
    exit?: (code: number) => void;
  } = {},
): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      log.flush?.();
      return exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    opts.onSignal?.();
    const overran = setTimeout(() => {
      log.error({ totalMs: opts.totalMs }, "shutdown overran its deadline: exiting");
      log.flush?.();
      exit(1);
    }, opts.totalMs ?? 15_000);
    overran.unref();
    const clean = await stopAll(components, log, opts.deadlineMs ?? 10_000);
    clearTimeout(overran);
    log.flush?.();
    exit(clean ? 128 + (constants.signals[signal] ?? 0) : 1);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
