import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDIS_TAPS_KEY } from "../events/names.js";
import type { RedisClient } from "../redis/client.js";
import { RedisTapInterest, TAP_INTEREST_RENEW_MS, TAP_INTEREST_TTL_MS } from "./redis-tap-interest.js";

const log = pino({ level: "silent" });

function recorder() {
  const commands: string[][] = [];
  const client = {
    sendCommand: async (args: string[]) => void commands.push(args),
    on: () => {},
  } as unknown as RedisClient;
  const zadds = () => commands.filter((c) => c[0] === "ZADD");
  return { client, zadds };
}

describe("RedisTapInterest", () => {
  afterEach(() => vi.useRealTimers());

  it("registers a tap until a TTL from now, renews every open pattern, and stops once none is open", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { client, zadds } = recorder();
    const interest = new RedisTapInterest(client, log, { now: async () => Date.now() });
    await interest.add("flank.inbound.>");
    expect(zadds()).toEqual([
      ["ZADD", REDIS_TAPS_KEY, "GT", String(1_000_000 + TAP_INTEREST_TTL_MS), "flank.inbound.>"],
    ]);
    await interest.add("flank.conversation.a");
    await interest.add("flank.conversation.a");
    interest.remove("flank.conversation.a");

    await vi.advanceTimersByTimeAsync(TAP_INTEREST_RENEW_MS);
    const until = String(1_000_000 + TAP_INTEREST_RENEW_MS + TAP_INTEREST_TTL_MS);
    expect(zadds().at(-1)).toEqual([
      "ZADD",
      REDIS_TAPS_KEY,
      "GT",
      until,
      "flank.inbound.>",
      until,
      "flank.conversation.a",
    ]);

    interest.remove("flank.conversation.a");
    interest.remove("flank.inbound.>");
    const count = zadds().length;
    await vi.advanceTimersByTimeAsync(5 * TAP_INTEREST_RENEW_MS);
    expect(zadds().length).toBe(count);
  });
});
