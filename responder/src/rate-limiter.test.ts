import { describe, expect, it } from "vitest";
import { bucketsFor } from "./rate-limiter.js";

// The buckets themselves have their contract suite in shared/src/rate-limit.
describe("bucketsFor", () => {
  const pacing = { perNumberRate: 80, perRecipientRate: 1 / 6, perRecipientBurst: 10 };
  it("messages draw from the number and the pair; read receipts only from the number", () => {
    expect(bucketsFor(pacing, "123", "+1555", true)).toEqual([
      { key: "number:123", ratePerSec: 80, burst: 80 },
      { key: "pair:123:1555", ratePerSec: 1 / 6, burst: 10 },
    ]);
    expect(bucketsFor(pacing, "123", "1555", false)).toEqual([
      { key: "number:123", ratePerSec: 80, burst: 80 },
    ]);
  });
});
