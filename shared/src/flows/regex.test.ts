import { describe, expect, it } from "vitest";
import { conditionRegex, flowWarnings, MATCH_TEXT_LIMIT, matchText } from "./regex.js";
import { loadFlowRegistry } from "./registry.js";
import { Flow } from "./schema.js";

const withRegex = (regex: string, flags?: string) =>
  Flow.parse({
    id: "r",
    initialStage: "a",
    stages: {
      a: {
        goal: "g",
        replies: ["r"],
        transitions: [{ to: "a", when: { regex, ...(flags ? { flags } : {}) } }],
      },
    },
  });
const regexOf = (flow: Flow) => {
  const when = flow.stages.a?.transitions[0]?.when;
  if (!when || !("regex" in when)) throw new Error("no regex condition");
  return when;
};

describe("flow regexes", () => {
  it("are compiled once per condition, without the stateful g and y flags", () => {
    const when = regexOf(withRegex("ab", "gi"));
    const re = conditionRegex(when);
    expect(conditionRegex(when)).toBe(re);
    expect(re.flags).toBe("i");
    // With a shared /g instance the second test would start at lastIndex and fail.
    expect([re.test("xAB"), re.test("xAB")]).toEqual([true, true]);
  });

  it("match at most MATCH_TEXT_LIMIT characters of a message", () => {
    expect(matchText("x".repeat(MATCH_TEXT_LIMIT + 50))).toHaveLength(MATCH_TEXT_LIMIT);
    expect(matchText("short")).toBe("short");
  });

  it("the shipped appointment pattern reads 100,000 characters of dates without a time in linear time", async () => {
    const flow = (await loadFlowRegistry({ shipped: true })).get("appointment-booking");
    const when = flow?.stages.collect?.transitions.find((t) => "regex" in t.when)?.when;
    if (!when || !("regex" in when)) throw new Error("appointment-booking has no regex transition");
    const re = conditionRegex(when);
    for (const [text, expected] of [
      ["12/05 at 10:30", true],
      ["2026-05-12 10am", true],
      ["on 3.4 around 9 pm", true],
      ["12/05 and 13/05 at 10h", true],
      ["12/05", false],
      ["at 10:30 on 12/05", false],
    ] as const) {
      expect(re.test(text), text).toBe(expected);
    }
    // The old pattern (a date, then .*? to a time) took seconds here: once per date, to the end.
    const started = performance.now();
    expect(re.test("1/1 ".repeat(25_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it("warn about nested quantifiers, and not about the shipped flows", async () => {
    expect(flowWarnings(withRegex("^(\\w+\\s?)*$"))).toEqual([
      {
        path: ["stages", "a", "transitions", 0, "when", "regex"],
        message: expect.stringMatching(/nested quantifiers/),
      },
    ]);
    expect(flowWarnings(withRegex("(a+)+b"))).toHaveLength(1);
    expect(flowWarnings(withRegex("^#\\d{4}$"))).toEqual([]);
    const shipped = await loadFlowRegistry({ shipped: true });
    for (const id of shipped.ids()) expect(flowWarnings(shipped.resolve(id))).toEqual([]);
  });
});
