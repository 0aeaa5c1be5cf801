import safeRegex from "safe-regex2";
import type { Condition, Flow } from "./schema.js";

/**
 * How much of a message the rules read: WhatsApp allows 4,096 characters of text, and a
 * backtracking pattern over a longer (or crafted) text can hold the event loop for seconds.
 */
export const MATCH_TEXT_LIMIT = 4096;

/** The text the rules match against: its first MATCH_TEXT_LIMIT characters. */
export const matchText = (text: string): string =>
  text.length > MATCH_TEXT_LIMIT ? text.slice(0, MATCH_TEXT_LIMIT) : text;

type RegexCondition = Extract<Condition, { regex: string }>;
const compiled = new WeakMap<RegexCondition, RegExp>();

/**
 * A regex condition's RegExp, compiled on first use and kept with the (immutable, loaded once)
 * flow. `g` and `y` are dropped: they make `test()` stateful (lastIndex), and a shared instance
 * would then alternate between matching and not.
 */
export function conditionRegex(when: RegexCondition): RegExp {
  let re = compiled.get(when);
  if (!re) {
    re = new RegExp(when.regex, (when.flags ?? "").replace(/[gy]/g, ""));
    compiled.set(when, re);
  }
  return re;
}

export interface FlowWarning {
  /** Path inside the flow, as FlowIssue's: `stages.collect.transitions.2.when.regex`. */
  path: (string | number)[];
  message: string;
}

/**
 * What loads but may hurt (pure): regexes with nested quantifiers (`(a+)+`, `(\w+\s?)*`), whose
 * matching time can grow exponentially with the text. Found by star height (safe-regex2).
 */
export function flowWarnings(flow: Flow): FlowWarning[] {
  const out: FlowWarning[] = [];
  for (const [stageId, stage] of Object.entries(flow.stages)) {
    stage.transitions.forEach((t, i) => {
      if ("regex" in t.when && !safeRegex(t.when.regex, { limit: Number.POSITIVE_INFINITY })) {
        out.push({
          path: ["stages", stageId, "transitions", i, "when", "regex"],
          message:
            "nested quantifiers (a repeated group that itself repeats, like (a+)+): matching can take exponential time; rewrite it without the outer repetition",
        });
      }
    });
  }
  return out;
}
