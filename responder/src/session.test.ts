import { describe, expect, it } from "vitest";
import type { Turn } from "./prompt.js";
import {
  currentSession,
  extractiveSummary,
  markOf,
  sessionExpired,
  summaryPrompt,
  uncovered,
  uncoveredExchanges,
} from "./session.js";

const MIN = 60_000;
const t = (role: Turn["role"], text: string, minute: number): Turn => ({
  role,
  text,
  at: new Date(minute * MIN).toISOString(),
});

describe("sessions", () => {
  const turns = [
    t("user", "old", 0),
    t("assistant", "old reply", 1),
    t("user", "new", 100),
    t("assistant", "r", 101),
  ];

  it("the active session starts after the last silence longer than the idle timeout", () => {
    expect(currentSession(turns, 102 * MIN, 30 * MIN).map((x) => x.text)).toEqual(["new", "r"]);
    expect(currentSession(turns, 102 * MIN, 200 * MIN)).toHaveLength(4);
  });

  it("expires when the last turn is older than the idle timeout", () => {
    expect(sessionExpired(turns, 102 * MIN, 30 * MIN)).toBe(false);
    expect(sessionExpired(turns, 200 * MIN, 30 * MIN)).toBe(true);
    expect(currentSession(turns, 200 * MIN, 30 * MIN)).toEqual([]);
    expect(sessionExpired([], 0, 1)).toBe(false);
  });

  it("uncovered: turns after the summary's time", () => {
    expect(uncovered(turns, new Date(50 * MIN).toISOString()).map((x) => x.text)).toEqual(["new", "r"]);
    expect(uncovered(turns, undefined)).toHaveLength(4);
  });
});

describe("extractiveSummary (offline memory)", () => {
  it("keeps the first sentence of each user message after the previous summary", () => {
    const text = extractiveSummary("Earlier: asked about prices.", [
      t("user", "I need a table for four. Tomorrow at 8 if possible!", 0),
      t("assistant", "Sure.", 1),
      t("user", "My name is Ana", 2),
    ]);
    expect(text).toBe(
      "Earlier: asked about prices.\nThe user said: I need a table for four. | My name is Ana",
    );
  });

  it("keeps the newest part when too long", () => {
    const text = extractiveSummary("a".repeat(2000), [t("user", "latest thing.", 0)], 100);
    expect(text).toHaveLength(100);
    expect(text.endsWith("The user said: latest thing.")).toBe(true);
  });
});

describe("summaryPrompt", () => {
  it("gives the model the previous summary and a transcript", () => {
    const [system, user] = summaryPrompt("prev", [t("user", "hi", 0), t("assistant", "hello", 1)]);
    expect(system?.role).toBe("system");
    expect(user?.content).toContain("Previous summary: prev");
    expect(user?.content).toContain("User: hi\nAssistant: hello");
  });
});

describe("uncoveredExchanges", () => {
  it("counts the user turns after the summary's time, all of them without a summary", () => {
    const turns = [t("user", "a", 1), t("assistant", "b", 2), t("user", "c", 3), t("user", "d", 5)];
    const marks = turns.map(markOf);
    expect(uncoveredExchanges(marks, undefined)).toBe(3);
    expect(uncoveredExchanges(marks, new Date(3 * MIN).toISOString())).toBe(1);
    // The same turns as the summary's own cut (uncovered) leaves them.
    const since = new Date(1 * MIN).toISOString();
    expect(uncoveredExchanges(marks, since)).toBe(
      uncovered(turns, since).filter((x) => x.role === "user").length,
    );
  });
});
