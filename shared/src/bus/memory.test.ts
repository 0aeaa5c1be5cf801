import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { busContract } from "./bus.contract.js";
import { MemoryBackend } from "./memory.js";
import { PartitionedBus } from "./partitioned-bus.js";

const backend = new MemoryBackend(100_000);
busContract("memory", {
  connect: async (tuning) => ({
    bus: new PartitionedBus(backend, pino({ level: "silent" }), tuning),
    backend,
  }),
});

describe("memory backend dedup keys", () => {
  it("remembers at most maxDedupKeys, forgetting the oldest first", async () => {
    const small = new MemoryBackend(100, 3);
    const item = (key: string) => ({
      id: key,
      topic: "inbound.message" as const,
      partition: 0,
      raw: "{}",
      channels: [],
      dedupKey: key,
    });
    const week = 7 * 24 * 3600;
    expect(await small.append(["a", "b", "c", "d"].map(item), week)).toEqual([false, false, false, false]);
    // "a" was forgotten to make room for "d"; the newer three are still duplicates.
    expect(await small.append([item("b"), item("c"), item("d")], week)).toEqual([true, true, true]);
    expect(await small.append([item("a")], week)).toEqual([false]);
  });
});
