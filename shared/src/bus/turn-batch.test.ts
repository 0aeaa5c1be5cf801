import { describe, expect, it } from "vitest";
import { TurnBatch } from "./turn-batch.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("TurnBatch", () => {
  it("starts the calls of one turn together, in order, on the next turn", async () => {
    const batch = new TurnBatch();
    const started: number[] = [];
    const results = [1, 2, 3].map((n) =>
      batch.run(async () => {
        started.push(n);
        return n * 10;
      }),
    );
    expect(started).toEqual([]);
    await Promise.resolve(); // microtasks alone do not start them
    expect(started).toEqual([]);
    await nextTurn();
    expect(started).toEqual([1, 2, 3]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it("rejects only the call that failed", async () => {
    const batch = new TurnBatch();
    const failing = batch.run(() => Promise.reject(new Error("boom")));
    const fine = batch.run(async () => "ok");
    await expect(failing).rejects.toThrow("boom");
    await expect(fine).resolves.toBe("ok");
  });

  it("runs a call queued while a batch starts in the next batch", async () => {
    const batch = new TurnBatch();
    let inner: Promise<string> | undefined;
    await batch.run(async () => {
      inner = batch.run(async () => "later");
    });
    await expect(inner).resolves.toBe("later");
  });
});
