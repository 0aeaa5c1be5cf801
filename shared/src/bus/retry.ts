import { FlankError } from "../errors.js";

/** Delay before retry number `attempt` (1-based): doubling from `base`, capped, with full jitter on the upper half. */
export function retryDelay(attempt: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A handler error says no retry can help (a FlankError with retryable false). */
export const isPermanent = (err: unknown): boolean => err instanceof FlankError && !err.retryable;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
