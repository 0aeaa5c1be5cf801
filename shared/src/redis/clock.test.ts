import { describe, expect, it } from "vitest";
import { CLOCK_SYNC_MS, RedisClock, type TimeClient } from "./clock.js";

/**
 * A stand-in for Redis: TIME answers `server` (ms) and takes `rtt` ms of the fake local clock
 * (half out, half back); `times` counts the TIMEs sent.
 */
function fakeRedis(start: { local: number; server: number; rtt?: number }) {
  const state = { local: start.local, server: start.server, rtt: start.rtt ?? 0, times: 0, fail: false };
  const client = {
    sendCommand: async (args: readonly string[]) => {
      expect(args).toEqual(["TIME"]);
      state.times++;
      state.local += state.rtt / 2;
      state.server += state.rtt / 2;
      await Promise.resolve();
      if (state.fail) throw new Error("connection lost");
      const reply = [
        String(Math.floor(state.server / 1000)),
        String(Math.round((state.server % 1000) * 1000)),
      ];
      state.local += state.rtt / 2;
      state.server += state.rtt / 2;
      return reply;
    },
  } as unknown as TimeClient;
  /** Both clocks move on by `ms`. */
  const advance = (ms: number) => {
    state.local += ms;
    state.server += ms;
  };
  return { state, client, advance, local: () => state.local };
}

describe("RedisClock", () => {
  it("reads Redis's time as local time plus the offset at the round trip's midpoint", async () => {
    const redis = fakeRedis({ local: 1_000_000, server: 5_000_123.5, rtt: 8 });
    const clock = new RedisClock(redis.client, redis.local);
    // TIME is read 4 ms after it was sent; the reply is half a round trip old when it arrives.
    expect(await clock.now()).toBe(Math.round(redis.state.server));
    redis.advance(1234);
    expect(await clock.now()).toBe(Math.round(redis.state.server));
    expect(redis.state.times).toBe(1);
  });

  it("works behind a local clock, and returns whole ms", async () => {
    const redis = fakeRedis({ local: 9_000_000.25, server: 2_000_000.5 });
    const clock = new RedisClock(redis.client, redis.local);
    const now = await clock.now();
    expect(Number.isInteger(now)).toBe(true);
    expect(Math.abs(now - redis.state.server)).toBeLessThanOrEqual(0.5);
  });

  it("re-syncs once its reading is CLOCK_SYNC_MS old, or the local clock stepped back", async () => {
    const redis = fakeRedis({ local: 1_000_000, server: 7_000_000 });
    const clock = new RedisClock(redis.client, redis.local);
    await clock.now();
    redis.advance(CLOCK_SYNC_MS - 1);
    await clock.now();
    expect(redis.state.times).toBe(1);
    // The two clocks drifted 40 ms apart; the next reading after 30 s catches up.
    redis.state.server += 40;
    redis.advance(1);
    expect(await clock.now()).toBe(redis.state.server);
    expect(redis.state.times).toBe(2);
    // The local clock steps back a second (NTP): re-synced at once, Redis's time unchanged.
    redis.state.local -= 1000;
    expect(await clock.now()).toBe(redis.state.server);
    expect(redis.state.times).toBe(3);
  });

  it("concurrent callers share one sync in flight", async () => {
    const redis = fakeRedis({ local: 1_000_000, server: 3_000_000, rtt: 2 });
    const clock = new RedisClock(redis.client, redis.local);
    const nows = await Promise.all([clock.now(), clock.now(), clock.now()]);
    expect(redis.state.times).toBe(1);
    expect(new Set(nows).size).toBe(1);
  });

  it("a failed sync fails its callers, and the next call tries again", async () => {
    const redis = fakeRedis({ local: 1_000_000, server: 3_000_000 });
    const clock = new RedisClock(redis.client, redis.local);
    redis.state.fail = true;
    await expect(Promise.all([clock.now(), clock.now()])).rejects.toThrow("connection lost");
    expect(redis.state.times).toBe(1);
    redis.state.fail = false;
    expect(await clock.now()).toBe(3_000_000);
    expect(redis.state.times).toBe(2);
  });

  it("defaults to Date.now and sets no timer", async () => {
    const server = Date.now() + 60_000;
    const client = {
      sendCommand: async () => [String(Math.floor(server / 1000)), String((server % 1000) * 1000)],
    } as unknown as TimeClient;
    const clock = new RedisClock(client);
    const now = await clock.now();
    expect(now).toBeGreaterThanOrEqual(server - 5);
    expect(now).toBeLessThan(server + 1000);
  });
});
