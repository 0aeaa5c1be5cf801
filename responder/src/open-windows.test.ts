import { SERVICE_WINDOW_MS as WINDOW_MS, windowOpen } from "@flank/shared/whatsapp";
import { describe, expect, it } from "vitest";
import { OpenWindows } from "./open-windows.js";

const T0 = Date.parse("2026-05-01T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("open windows", () => {
  it("knows a window read open until it lapses, exactly when windowOpen says it closes", () => {
    const w = new OpenWindows();
    expect(w.isOpen("c", T0)).toBe(false);
    w.note("c", iso(T0), T0 + 1000);
    for (const now of [T0 + 1000, T0 + WINDOW_MS - 1, T0 + WINDOW_MS]) {
      expect(w.isOpen("c", now)).toBe(windowOpen(iso(T0), now));
    }
    expect(w.size).toBe(0); // lapsed: forgotten, read again next time
  });

  it("keeps nothing for a closed, missing or bad time, and never shortens a window", () => {
    const w = new OpenWindows();
    w.note("closed", iso(T0 - WINDOW_MS - 1), T0);
    w.note("missing", undefined, T0);
    w.note("bad", "yesterday", T0);
    expect(w.size).toBe(0);
    w.note("c", iso(T0), T0);
    w.note("c", iso(T0 - 3600_000), T0); // an older read (another instance's lagging copy)
    expect(w.isOpen("c", T0 + WINDOW_MS - 1)).toBe(true);
  });

  it("forgets the oldest noted past its bound", () => {
    const w = new OpenWindows(2);
    w.note("a", iso(T0), T0);
    w.note("b", iso(T0), T0);
    w.note("a", iso(T0 + 1), T0); // renewed: now the newest
    w.note("c", iso(T0), T0);
    expect([w.isOpen("a", T0), w.isOpen("b", T0), w.isOpen("c", T0)]).toEqual([true, false, true]);
  });
});
