import { describe, expect, it } from "vitest";
import { turnsOf } from "./session-history.js";

describe("turnsOf: the session as the prompt sees it", () => {
  const at = "2026-06-01T12:00:00.000Z";
  it("applies edits and revokes wherever their markers sit, and reads a person's lines as the business", () => {
    expect(
      turnsOf([
        { role: "user", text: "", at, id: "w1", amends: "revoke" },
        { role: "user", text: "secret", at, id: "w1" },
        { role: "assistant", text: "ok", at },
        { role: "user", text: "red", at, id: "w2" },
        { role: "user", text: "blue", at, id: "w2", amends: "edit" },
        { role: "user", text: "green", at, id: "w2", amends: "edit" },
        { role: "agent", text: "From the app", at, id: "w3" },
      ]),
    ).toEqual([
      { role: "assistant", text: "ok", at },
      { role: "user", text: "green", at, id: "w2" },
      { role: "assistant", text: "From the app", at, id: "w3" },
    ]);
  });
});
