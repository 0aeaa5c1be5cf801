import { describe, expect, it } from "vitest";
import { nearLimit, youngReserveBytes } from "./heap-pressure.js";

const MB = 2 ** 20;

describe("heap pressure", () => {
  it("reads the young generation's reserve from --max-semi-space-size, the last one winning", () => {
    expect(youngReserveBytes(["--max-semi-space-size=4", "--max-old-space-size=72"])).toBe(12 * MB);
    expect(youngReserveBytes(["--max-semi-space-size=8"], "--max-semi-space-size=2")).toBe(24 * MB);
    expect(youngReserveBytes([], "--max_semi_space_size=16 --inspect")).toBe(48 * MB);
    expect(youngReserveBytes(["--max-old-space-size=72"])).toBe(0);
  });

  it("pauses before the old generation is full, however large the young one", () => {
    // 8 MB semi-spaces and a 64 MB old generation: V8's limit is 64 + 3 × 8 = 88 MB. With 62 MB
    // used the old generation is nearly full; 85 % of the whole limit (74.8 MB) had not paused.
    const limit = 88 * MB;
    expect(nearLimit(62 * MB, limit, 24 * MB, 0.85)).toBe(true);
    expect(nearLimit(50 * MB, limit, 24 * MB, 0.85)).toBe(false);
    // The shipped router (4 MB, 72 MB): the pause at 85 % of 72 MB.
    expect(nearLimit(62 * MB, 84 * MB, 12 * MB, 0.85)).toBe(true);
    expect(nearLimit(60 * MB, 84 * MB, 12 * MB, 0.85)).toBe(false);
  });
});
