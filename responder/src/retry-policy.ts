import type { ErrorAction, RetrySchedule } from "./error-classifier.js";

export interface RetryPolicyOptions {
  /** Attempts in all (the first send included) before a request fails for good. */
  maxAttempts: number;
  /** First exponential delay; doubles each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
};

/** The schedule's delay after failed attempt number `attempt` (1-based), before jitter. */
export function baseDelay(schedule: RetrySchedule, attempt: number, opts: RetryPolicyOptions): number {
  switch (schedule) {
    case "exponential":
      return Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
    // Pair rate limit: "retry after 4^X seconds (starting with X=0)" (docs/whatsapp-contract.md "Window and pacing").
    case "pair":
      return 4 ** (attempt - 1) * 1000;
    // Maintenance mode lasts "up to 1 minute" (131057).
    case "maintenance":
      return 60_000;
    // Flow throttled: "10 messages in the last hour" (132069).
    case "hourly":
      return 3_600_000;
  }
}

/**
 * When to try a failed request again, or undefined to give up. Jitter (up to +25%) spreads the
 * retries of many requests that failed together, so they do not hit Meta in one wave again.
 */
export function nextRetryDelay(
  action: ErrorAction,
  attempt: number,
  opts: RetryPolicyOptions = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | undefined {
  if (action.action !== "retry") return undefined;
  const limit = Math.min(opts.maxAttempts, action.maxAttempts ?? opts.maxAttempts);
  if (attempt >= limit) return undefined;
  const delay = baseDelay(action.schedule, attempt, opts);
  return Math.round(delay * (1 + random() * 0.25));
}
