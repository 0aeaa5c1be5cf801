import { describe, expect, it } from "vitest";
import type { StatusValue } from "../events/inbound.js";
import { applyStatus, decideStatus, type StatusDecision } from "./status-rank.js";

type Row = [
  current: StatusValue | "queued" | undefined,
  seen: StatusValue[],
  next: StatusValue,
  want: StatusDecision,
];

const TABLE: Row[] = [
  [undefined, [], "sent", "applied"],
  ["queued", [], "sent", "applied"],
  ["queued", [], "read", "applied"], // sent and delivered never arrived
  ["sent", ["sent"], "delivered", "applied"],
  ["sent", ["sent"], "read", "applied"], // delivered skipped (docs/whatsapp-contract.md "Statuses")
  ["read", ["sent", "read"], "delivered", "stale"], // out-of-order webhook
  ["read", ["read"], "sent", "stale"],
  ["delivered", ["delivered"], "sent", "stale"],
  ["read", ["read"], "played", "applied"],
  ["played", ["played"], "read", "stale"],
  ["sent", ["sent"], "sent", "duplicate"],
  ["read", ["delivered", "read"], "delivered", "duplicate"], // redelivered, even though stale
  ["sent", ["sent"], "failed", "applied"],
  ["delivered", ["sent", "delivered"], "failed", "applied"],
  ["read", ["read"], "failed", "stale"], // the user saw it: failed does not win
  ["played", ["played"], "failed", "stale"],
  ["failed", ["failed"], "read", "stale"], // terminal
  ["failed", ["failed"], "delivered", "stale"],
  ["failed", ["failed"], "failed", "duplicate"],
  [undefined, [], "failed", "applied"],
  // A status name Meta added later: kept in the history, never moves `status`.
  ["sent", ["sent"], "unknown", "stale"],
  ["queued", [], "unknown", "stale"],
  ["read", ["read", "unknown"], "unknown", "stale"],
];

describe("decideStatus", () => {
  it.each(TABLE)("current %s, seen %j, next %s → %s", (current, seen, next, want) => {
    expect(decideStatus(current, seen, next)).toBe(want);
  });
});

describe("applyStatus", () => {
  const entry = (status: StatusValue) => ({ status, timestamp: "2026-01-01T00:00:00.000Z" });

  it("appends and moves the status when applied", () => {
    const r = applyStatus({ status: "sent", statuses: [entry("sent")] }, entry("read"));
    expect(r).toEqual({ outcome: "applied", status: "read", statuses: [entry("sent"), entry("read")] });
  });

  it("appends but keeps the status when stale", () => {
    const r = applyStatus({ status: "read", statuses: [entry("read")] }, entry("delivered"));
    expect(r).toEqual({ outcome: "stale", status: "read", statuses: [entry("read"), entry("delivered")] });
  });

  it("changes nothing for a duplicate", () => {
    const statuses = [entry("sent")];
    const r = applyStatus({ status: "sent", statuses }, entry("sent"));
    expect(r.outcome).toBe("duplicate");
    expect(r.statuses).toEqual([entry("sent")]);
  });
});
