import { Flow, type FlowInput } from "@flank/shared/flows";
import { describe, expect, it } from "vitest";
import { DEFAULT_AWAY_MESSAGE, DEFAULT_HANDOFF_MESSAGE, handoffNotice, isOpen } from "./handoff-notice.js";

const flow = (over: Partial<FlowInput> = {}) =>
  Flow.parse({
    id: "t",
    initialStage: "a",
    stages: { a: { goal: "g", replies: ["r"] } },
    ...over,
  });

const lisbon = {
  timezone: "Europe/Lisbon",
  days: { mon: ["09:00-12:00", "14:00-18:00"], sat: ["10:00-24:00"] },
};
// 2026-06-01 is a Monday; Lisbon is UTC+1 in June.
const at = (iso: string) => new Date(iso);

describe("handoffNotice", () => {
  it.each<[string, Partial<FlowInput>, number, string, string, string]>([
    ["agent online, defaults", {}, 1, "2026-06-01T10:00:00Z", "connecting", DEFAULT_HANDOFF_MESSAGE],
    [
      "agent online, flow text",
      { handoffMessage: "Hold on" },
      2,
      "2026-06-01T10:00:00Z",
      "connecting",
      "Hold on",
    ],
    [
      "agent online outside office hours: still connecting",
      { handoffMessage: "Hold on", officeHours: lisbon },
      1,
      "2026-06-01T22:00:00Z",
      "connecting",
      "Hold on",
    ],
    ["nobody online, defaults", {}, 0, "2026-06-01T10:00:00Z", "away", DEFAULT_AWAY_MESSAGE],
    ["nobody online, flow text", { awayMessage: "Later" }, 0, "2026-06-01T10:00:00Z", "away", "Later"],
    [
      "nobody online within office hours",
      { awayMessage: "Later", officeHours: { ...lisbon, closedMessage: "Closed" } },
      0,
      "2026-06-01T09:30:00Z",
      "away",
      "Later",
    ],
    [
      "nobody online outside office hours",
      { awayMessage: "Later", officeHours: { ...lisbon, closedMessage: "Closed" } },
      0,
      "2026-06-01T12:30:00Z",
      "closed",
      "Closed",
    ],
    [
      "closed without a closed message: the away message",
      { awayMessage: "Later", officeHours: lisbon },
      0,
      "2026-06-02T10:00:00Z",
      "closed",
      "Later",
    ],
    [
      "closed with no texts at all: the default",
      { officeHours: lisbon },
      0,
      "2026-06-02T10:00:00Z",
      "closed",
      DEFAULT_AWAY_MESSAGE,
    ],
  ])("%s", (_name, over, agentsOnline, now, kind, text) => {
    expect(handoffNotice(flow(over), { agentsOnline, now: at(now) })).toEqual({ kind, text });
  });
});

describe("isOpen", () => {
  it.each<[string, boolean]>([
    ["2026-06-01T07:59:00Z", false], // Mon 08:59 Lisbon
    ["2026-06-01T08:00:00Z", true], // Mon 09:00: the start is open
    ["2026-06-01T10:59:00Z", true], // Mon 11:59
    ["2026-06-01T11:00:00Z", false], // Mon 12:00: the end is closed
    ["2026-06-01T13:00:00Z", true], // Mon 14:00
    ["2026-06-01T17:00:00Z", false], // Mon 18:00
    ["2026-06-02T10:00:00Z", false], // Tue: not listed, closed
    ["2026-06-06T22:59:00Z", true], // Sat 23:59 up to 24:00
    ["2026-06-06T23:00:00Z", false], // Sun 00:00
    ["2026-01-05T09:30:00Z", true], // Mon in winter (UTC+0): 09:30
  ])("%s → %s", (iso, open) => {
    expect(isOpen(lisbon, at(iso))).toBe(open);
  });

  it("refuses a flow with a bad time zone or interval", () => {
    const bad = (officeHours: unknown) =>
      Flow.safeParse({
        id: "t",
        initialStage: "a",
        stages: { a: { goal: "g", replies: ["r"] } },
        officeHours,
      });
    expect(bad({ timezone: "Mars/Olympus", days: {} }).success).toBe(false);
    expect(bad({ timezone: "UTC", days: { mon: ["18:00-09:00"] } }).success).toBe(false);
    expect(bad({ timezone: "UTC", days: { mon: ["9-18"] } }).success).toBe(false);
    expect(bad({ timezone: "UTC", days: { funday: ["09:00-18:00"] } }).success).toBe(false);
    expect(bad({ timezone: "UTC", days: { mon: ["00:00-24:00"] } }).success).toBe(true);
  });
});
