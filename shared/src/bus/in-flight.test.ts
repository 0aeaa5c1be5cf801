import { describe, expect, it } from "vitest";
import { heapNearLimit } from "./heap-pressure.js";
import { InFlightLimit } from "./in-flight.js";

/** Resolves to the room granted, or "waiting" if room() has not answered once pending work ran. */
async function roomNow(limit: InFlightLimit): Promise<number | "waiting"> {
  let answer: number | "waiting" = "waiting";
  void limit
    .room(() => false)
    .then((n) => {
      answer = n;
    });
  await new Promise((resolve) => setImmediate(resolve));
  return answer;
}

describe("in-flight limit under memory pressure", () => {
  it("takes no new events while memory is short and some are in hand, and reads again as they finish", async () => {
    let short = true;
    const limit = new InFlightLimit(100, () => short);
    limit.add(10);
    let granted: number | undefined;
    const waiting = limit
      .room(() => false)
      .then((n) => {
        granted = n;
      });
    limit.release(5);
    await new Promise((resolve) => setImmediate(resolve));
    // Still short: finishing events does not let a reader in while the heap stays full.
    expect(granted).toBeUndefined();
    short = false;
    limit.release(1);
    await waiting;
    expect(granted).toBe(96);
  });

  it("reads while memory is short when it holds nothing, so a consumer never stalls", async () => {
    const limit = new InFlightLimit(100, () => true);
    expect(await roomNow(limit)).toBe(100);
  });

  it("without pressure, waits only at its bound", async () => {
    const limit = new InFlightLimit(10);
    limit.add(9);
    expect(await roomNow(limit)).toBe(1);
    limit.add(1);
    expect(await roomNow(limit)).toBe("waiting");
  });

  it("once at its bound, waits until an eighth of it is free, so readers read several events at a time", async () => {
    const limit = new InFlightLimit(64);
    limit.add(64);
    expect(await roomNow(limit)).toBe("waiting");
    limit.release(7);
    expect(await roomNow(limit)).toBe("waiting");
    limit.release(1);
    expect(await roomNow(limit)).toBe(8);
    // Below the bound it was never at, a reader reads at once.
    const fresh = new InFlightLimit(64);
    fresh.add(60);
    expect(await roomNow(fresh)).toBe(4);
  });

  it("reads the heap: short past the given share of its limit, not at the default share in a test run", () => {
    expect(heapNearLimit(0)).toBe(true);
    expect(heapNearLimit()).toBe(false);
  });
});
