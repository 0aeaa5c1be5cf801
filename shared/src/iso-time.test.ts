import { describe, expect, it } from "vitest";
import { isoTime } from "./iso-time.js";

describe("isoTime", () => {
  it("is Date#toISOString, across seconds, milliseconds, fractions and odd years", () => {
    const cases = [
      0, 1, 999, 1000, 1001, -1, -999, -1000, -1001, 1_733_500_000_000, 1_733_500_000_007, 1_733_500_000_070,
      1_733_500_000_700, 1_733_500_000_999.9, 1_733_499_999_999, 253_402_300_800_000, -62_198_755_200_000,
      -62_198_755_200_001, 8.64e15, -8.64e15, 1.5, -1.5,
    ];
    // Twice, in turns: the second pass reads the kept seconds.
    for (const ms of [...cases, ...cases.toReversed(), ...cases])
      expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it("keeps two seconds: alternating between them stays right", () => {
    const now = 1_733_500_000_123;
    const sent = 1_733_499_990_000;
    for (let i = 0; i < 5; i++) {
      expect(isoTime(now + i)).toBe(new Date(now + i).toISOString());
      expect(isoTime(sent)).toBe(new Date(sent).toISOString());
    }
  });

  it("throws like Date#toISOString out of range", () => {
    for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      expect(() => isoTime(ms)).toThrow(RangeError);
    }
  });
});
