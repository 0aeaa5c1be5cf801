import { newId } from "@flank/shared";
import { waitFor } from "@flank/shared/testing";
import { describe, expect, it } from "vitest";
import type { Bucket, RateLimiter } from "./rate-limiter.js";

/** One suite for every RateLimiter adapter: they must behave alike (CONVENTIONS 15). */
export function rateLimiterContract(name: string, make: () => RateLimiter): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const bucket = (ratePerSec: number, burst: number): Bucket => ({
      key: `t:${newId()}`,
      ratePerSec,
      burst,
    });

    it("allows a burst, then reports how long to wait", async () => {
      const limiter = make();
      const b = bucket(0.1, 3);
      expect([await limiter.take([b]), await limiter.take([b]), await limiter.take([b])]).toEqual([0, 0, 0]);
      const wait = await limiter.take([b]);
      expect(wait).toBeGreaterThan(9000);
      expect(wait).toBeLessThanOrEqual(10_000);
    });

    it("takes from all buckets or none", async () => {
      const limiter = make();
      const roomy = bucket(0.1, 2);
      const empty = bucket(0.1, 1);
      expect(await limiter.take([empty])).toBe(0);
      expect(await limiter.take([roomy, empty])).toBeGreaterThan(0);
      // roomy kept both tokens.
      expect(await limiter.take([roomy])).toBe(0);
      expect(await limiter.take([roomy])).toBe(0);
      expect(await limiter.take([roomy])).toBeGreaterThan(0);
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

    it("a block holds a bucket that still has tokens", async () => {
      const limiter = make();
      const b = bucket(100, 10);
      await limiter.block(b.key, 5000);
      const wait = await limiter.take([b]);
      expect(wait).toBeGreaterThan(4000);
      expect(wait).toBeLessThanOrEqual(5000);
      const other = bucket(100, 10);
      expect(await limiter.take([other])).toBe(0);
    });
  });
}
