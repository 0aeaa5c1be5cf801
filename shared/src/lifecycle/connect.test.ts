import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectError, connectWithin, maskUrl, StartInterrupted } from "./connect.js";

const REDIS = {
  service: "Redis",
  url: "redis://user:hunter22@10.0.0.5:6379/0",
  variable: "REDIS_URL",
} as const;

/** An attempt that retries until its signal aborts, reporting each failure; closes what it opened. */
const refusing = () => {
  const state = { closed: false };
  const attempt = (signal: AbortSignal, failed: (err: unknown) => void) =>
    new Promise<never>((_, reject) => {
      const timer = setInterval(() => failed(new Error("connect ECONNREFUSED 10.0.0.5:6379")), 100);
      signal.addEventListener("abort", () => {
        clearInterval(timer);
        state.closed = true;
        reject(new Error("destroyed"));
      });
    });
  return { attempt, state };
};

afterEach(() => {
  vi.useRealTimers();
});

describe("connectWithin", () => {
  it("gives up after the timeout with one line: server, masked URL, last failure, variable", async () => {
    vi.useFakeTimers();
    const { attempt, state } = refusing();
    const result = connectWithin(REDIS, attempt, { timeoutMs: 1500 });
    const caught = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(1500);
    const err = await caught;
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toBe(
      "cannot connect to Redis at redis://user:****@10.0.0.5:6379/0: no connection within 1.5 s (connect ECONNREFUSED 10.0.0.5:6379); check REDIS_URL",
    );
    expect(state.closed).toBe(true);
  });

  it("stops at once on the signal, as StartInterrupted", async () => {
    vi.useFakeTimers();
    const { attempt, state } = refusing();
    const stop = new AbortController();
    const caught = connectWithin(REDIS, attempt, { timeoutMs: 60_000, signal: stop.signal }).catch(
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(300);
    stop.abort();
    expect(await caught).toBeInstanceOf(StartInterrupted);
    expect(state.closed).toBe(true);
  });

  it("answers what the attempt connected", async () => {
    expect(await connectWithin(REDIS, async () => "client", { timeoutMs: 1000 })).toBe("client");
  });
});

describe("maskUrl", () => {
  it.each([
    ["redis://:hunter22@h:6379", "redis://:****@h:6379"],
    [
      "mongodb://flank:p%40ss@a:27017,b:27017/db?replicaSet=rs",
      "mongodb://flank:****@a:27017,b:27017/db?replicaSet=rs",
    ],
    ["nats://127.0.0.1:4222", "nats://127.0.0.1:4222"],
    ["redis://user@h:6379", "redis://user@h:6379"],
  ])("%s", (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });
});
