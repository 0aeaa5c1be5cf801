import { describe, expect, it } from "vitest";
import { classifyCode } from "./error-classifier.js";
import { baseDelay, DEFAULT_RETRY_POLICY, nextRetryDelay } from "./retry-policy.js";

const opts = DEFAULT_RETRY_POLICY;

describe("retry schedule", () => {
  it.each([
    ["exponential", 1, 1000],
    ["exponential", 2, 2000],
    ["exponential", 3, 4000],
    ["exponential", 4, 8000],
    ["exponential", 20, 300_000],
    ["pair", 1, 1000],
    ["pair", 2, 4000],
    ["pair", 3, 16_000],
    ["pair", 4, 64_000],
    ["maintenance", 1, 60_000],
    ["maintenance", 3, 60_000],
    ["hourly", 1, 3_600_000],
  ] as const)("%s after attempt %i waits %i ms", (schedule, attempt, ms) => {
    expect(baseDelay(schedule, attempt, opts)).toBe(ms);
  });

  it("adds up to 25% jitter", () => {
    const transient = classifyCode(131000);
    expect(nextRetryDelay(transient, 2, opts, () => 0)).toBe(2000);
    expect(nextRetryDelay(transient, 2, opts, () => 1)).toBe(2500);
    expect(nextRetryDelay(transient, 2, opts, () => 0.5)).toBe(2250);
  });

  it("gives up after maxAttempts, and sooner where the code caps it", () => {
    const transient = classifyCode(131000);
    expect(nextRetryDelay(transient, 4, opts, () => 0)).toBe(8000);
    expect(nextRetryDelay(transient, 5, opts, () => 0)).toBeUndefined();
    expect(nextRetryDelay(classifyCode(1), 1, opts, () => 0)).toBe(1000);
    expect(nextRetryDelay(classifyCode(1), 2, opts, () => 0)).toBeUndefined();
  });

  it("never retries permanent errors or the closed window", () => {
    expect(nextRetryDelay(classifyCode(100), 1, opts)).toBeUndefined();
    expect(nextRetryDelay(classifyCode(131047), 1, opts)).toBeUndefined();
  });
});
