import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { duplicateField, isDuplicateKey, strip } from "./mongo-docs.js";

const FIELDS = ["phoneNumberId", "verifyToken"] as const;
const e11000 = (message: string, extra: Record<string, unknown> = {}) =>
  new MongoServerError({ message, code: 11000, ...extra });

describe("mongo duplicate-key mapping", () => {
  it.each([
    [{ keyPattern: { verifyToken: 1 } }, "E11000 duplicate key error", "verifyToken"],
    [
      { keyPattern: { phoneNumberId: 1 } },
      'E11000 dup key: { phoneNumberId: "verifyToken" }',
      "phoneNumberId",
    ],
    [{ keyPattern: { _id: 1 } }, "E11000 duplicate key error", "id"],
    [
      {},
      "E11000 duplicate key error collection: t.integrations index: verifyToken_unique dup key: {}",
      "verifyToken",
    ],
    [{}, "E11000 duplicate key error collection: t.integrations index: _id_ dup key: {}", "id"],
  ])("%j %s → %s", (extra, message, field) => {
    expect(duplicateField(e11000(message, extra), FIELDS)).toBe(field);
  });

  it("recognizes only E11000 server errors", () => {
    expect(isDuplicateKey(e11000("E11000"))).toBe(true);
    expect(isDuplicateKey(new MongoServerError({ message: "other", code: 2 }))).toBe(false);
    expect(isDuplicateKey(new Error("E11000"))).toBe(false);
  });

  it("strips _id from documents", () => {
    expect(strip({ _id: "a", id: "a", n: 1 })).toEqual({ id: "a", n: 1 });
  });
});
