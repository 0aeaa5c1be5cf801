import { describe, expect, it } from "vitest";
import { mayDeliver, SERVICE_WINDOW_MS, windowClosesAt, windowOpen } from "./service-window.js";

const T0 = Date.parse("2026-06-01T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("the 24-hour service window", () => {
  it("is open until 24 hours after the user's last message, and closed at that instant", () => {
    expect(windowClosesAt(iso(T0))).toBe(T0 + SERVICE_WINDOW_MS);
    expect(windowOpen(iso(T0), T0 + SERVICE_WINDOW_MS - 1)).toBe(true);
    expect(windowOpen(iso(T0), T0 + SERVICE_WINDOW_MS)).toBe(false);
  });

  it("is closed without a parsable last message", () => {
    expect(windowOpen(undefined, T0)).toBe(false);
    expect(windowOpen("not a date", T0)).toBe(false);
    expect(windowClosesAt(undefined)).toBeUndefined();
  });

  it("holds back free-form messages only: templates and read receipts go out at any time", () => {
    const late = T0 + SERVICE_WINDOW_MS;
    expect(mayDeliver({ type: "text" }, iso(T0), late)).toBe(false);
    expect(mayDeliver({ type: "image" }, undefined, late)).toBe(false);
    expect(mayDeliver({ type: "template" }, iso(T0), late)).toBe(true);
    expect(mayDeliver({ type: "read" }, undefined, late)).toBe(true);
    expect(mayDeliver({ type: "text" }, iso(T0), T0 + 1000)).toBe(true);
  });
});
