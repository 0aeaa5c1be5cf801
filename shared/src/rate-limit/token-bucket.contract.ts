import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { newId } from "../events/event.js";
import type { Bucket, TokenBuckets } from "./token-bucket.js";

/** One suite for every TokenBuckets adapter: they must behave alike. */
export function tokenBucketsContract(name: string, make: () => TokenBuckets): void {
  describe(`TokenBuckets contract: ${name}`, () => {
    // A fresh key per test, so adapters sharing one Redis never see each other's buckets.
    const bucket = (ratePerSec: number, burst: number): Bucket => ({
      key: `t:${newId()}`,
      ratePerSec,
      burst,
    });

    it("allows the burst, then reports how long until the next token", async () => {
      const limiter = make();
      const b = bucket(0.1, 3);
      expect([await limiter.take([b]), await limiter.take([b]), await limiter.take([b])]).toEqual([0, 0, 0]);
      const wait = await limiter.take([b]);
      expect(wait).toBeGreaterThan(9000);
      expect(wait).toBeLessThanOrEqual(10_000);
    });

    it("keeps buckets apart, and takes from all of them or from none", async () => {
      const limiter = make();
      const tight = bucket(0.1, 1);
      const roomy = bucket(0.1, 3);
      const other = bucket(0.1, 1);
      expect(await limiter.take([tight, roomy])).toBe(0);
      expect(await limiter.take([tight, roomy])).toBeGreaterThan(0);
      expect(await limiter.take([roomy, tight])).toBeGreaterThan(0);
      // The refused takes left roomy's two remaining tokens alone.
      expect(await limiter.take([roomy])).toBe(0);
      expect(await limiter.take([roomy])).toBe(0);
      expect(await limiter.take([roomy])).toBeGreaterThan(0);
      expect(await limiter.take([other])).toBe(0);
      expect(await limiter.take([])).toBe(0);
    });

    it("refills at the rate", async () => {
      const limiter = make();
      const b = bucket(50, 1);
      expect(await limiter.take([b])).toBe(0);
      const wait = await limiter.take([b]);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(20);
      await waitFor(async () => (await limiter.take([b])) === 0, { timeoutMs: 2000 });
    });

    it("a block holds a bucket that still has tokens, and no other", async () => {
      const limiter = make();
      const b = bucket(100, 10);
      expect(await limiter.take([b])).toBe(0);
      await limiter.block(b.key, 5000);
      const wait = await limiter.take([b]);
      expect(wait).toBeGreaterThan(4000);
      expect(wait).toBeLessThanOrEqual(5000);
      const other = bucket(100, 10);
      expect(await limiter.take([other, b])).toBeGreaterThan(4000);
      expect(await limiter.take([other])).toBe(0);
    });

    it("a shorter block never cuts a longer one short", async () => {
      const limiter = make();
      const b = bucket(100, 10);
      await limiter.block(b.key, 5000);
      await limiter.block(b.key, 10);
      expect(await limiter.take([b])).toBeGreaterThan(4000);
    });

    it("books reservations one after another at the rate, after the burst", async () => {
      const limiter = make();
      const b = bucket(10, 2);
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push(await limiter.reserve([b]));
      expect(waits.slice(0, 2)).toEqual([0, 0]);
      // Each later one is booked 100 ms after the one before it (give or take the clock's ticks).
      for (const [i, expected] of [100, 200, 300].entries()) {
        expect(waits[i + 2]).toBeGreaterThan(expected - 20);
        expect(waits[i + 2]).toBeLessThanOrEqual(expected + 1);
      }
    });

    it("books a reservation over several buckets at the latest one's time, and after a block", async () => {
      const limiter = make();
      const slow = bucket(1, 1);
      const fast = bucket(100, 1);
      expect(await limiter.reserve([slow, fast])).toBe(0);
      const second = await limiter.reserve([fast, slow]);
      expect(second).toBeGreaterThan(950);
      expect(second).toBeLessThanOrEqual(1000);
      // The fast bucket's token was taken at the booked time: its next one is 10 ms after that.
      const fastAgain = await limiter.reserve([fast]);
      expect(fastAgain).toBeGreaterThan(second);
      expect(fastAgain).toBeLessThanOrEqual(second + 11);
      const blocked = bucket(100, 10);
      await limiter.block(blocked.key, 3000);
      const wait = await limiter.reserve([blocked]);
      expect(wait).toBeGreaterThan(2900);
      expect(wait).toBeLessThanOrEqual(3000);
    });

    it("a block keeps the tokens a bucket had, and a refused take keeps the block", async () => {
      const limiter = make();
      const b = bucket(0.01, 3);
      expect(await limiter.take([b])).toBe(0);
      await limiter.block(b.key, 50);
      expect(await limiter.take([b])).toBeGreaterThan(0);
      expect(await limiter.take([b])).toBeGreaterThan(0);
      await waitFor(async () => (await limiter.take([b])) === 0, { timeoutMs: 2000 });
      // Three tokens, one taken before the block and one just now: one is left, then none.
      expect(await limiter.take([b])).toBe(0);
      expect(await limiter.take([b])).toBeGreaterThan(90_000);
    });

    it("a block ends, and the bucket refills from empty", async () => {
      const limiter = make();
      const b = bucket(100, 10);
      await limiter.block(b.key, 30);
      expect(await limiter.take([b])).toBeGreaterThan(0);
      await waitFor(async () => (await limiter.take([b])) === 0, { timeoutMs: 2000 });
    });
  });
}
