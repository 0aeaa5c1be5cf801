import { errorMessage, FlankError } from "../errors.js";

/** How long a process tries to reach each server at start before it gives up (CONNECT_TIMEOUT_MS). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** Give up after this long (default DEFAULT_CONNECT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Stops trying at once (Ctrl-C while connecting). */
  signal?: AbortSignal;
}

/** What is being connected to, for the one line that says why it failed. */
export interface ConnectTarget {
  service: "Redis" | "NATS" | "MongoDB";
  url: string;
  /** The variable to fix: REDIS_URL, NATS_URL, MONGODB_URI. */
  variable: string;
}

/** `url` with its password replaced by ****; also for URLs `URL` cannot parse (Mongo's host lists). */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, "$1****@");
}

/** A server that could not be reached at start: one line naming it, its URL (masked) and the variable. */
export class ConnectError extends FlankError {
  constructor(target: ConnectTarget, detail: string, cause?: unknown) {
    super(
      "ConnectError",
      `cannot connect to ${target.service} at ${maskUrl(target.url)}: ${detail}; check ${target.variable}`,
      { context: { service: target.service, variable: target.variable }, retryable: true, cause },
    );
  }
}

/** The process was asked to stop (a signal) while it was still connecting. */
export class StartInterrupted extends FlankError {
  constructor(service: string) {
    super("StartInterrupted", `stopped while connecting to ${service}`);
  }
}

/**
 * Runs `attempt` (which retries by itself until its signal aborts, reporting each failure to
 * `failed`) for at most `timeoutMs`: past that, a ConnectError naming the server, its masked URL,
 * the last failure and the variable to fix; on `opts.signal`, StartInterrupted. Either way it
 * answers at once, without waiting for the attempt to notice: the attempt must then close what
 * it opened (a connection made after the abort included).
 */
export async function connectWithin<T>(
  target: ConnectTarget,
  attempt: (signal: AbortSignal, failed: (err: unknown) => void) => Promise<T>,
  opts: ConnectOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (opts.signal?.aborted) throw new StartInterrupted(target.service);
  const stop = new AbortController();
  let last: unknown;
  const gaveUp = new Promise<never>((_, reject) =>
    stop.signal.addEventListener("abort", () => reject(last ?? new Error("no answer")), { once: true }),
  );
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const interrupt = () => stop.abort();
  opts.signal?.addEventListener("abort", interrupt, { once: true });
  const running = attempt(stop.signal, (err) => {
    last = err;
  });
  running.catch(() => undefined); // settled after a give-up: nobody waits for it
  try {
    return await Promise.race([running, gaveUp]);
  } catch (err) {
    if (opts.signal?.aborted) throw new StartInterrupted(target.service);
    if (err instanceof ConnectError) throw err;
    const within = stop.signal.aborted ? ` within ${Math.round(timeoutMs / 100) / 10} s` : "";
    throw new ConnectError(target, `no connection${within} (${errorMessage(err)})`, err);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", interrupt);
    stop.abort(); // stops the attempt's retries, whatever ended the wait
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
