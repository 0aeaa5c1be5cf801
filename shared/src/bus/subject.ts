import { REDIS_TAP_PREFIX } from "../events/names.js";

/**
 * NATS subject matching, used by every adapter so taps behave the same everywhere:
 * `*` matches one dot-separated token, `>` (last) matches one or more tokens.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === ">") return s.length > i;
    if (i >= s.length) return false;
    if (token !== "*" && token !== s[i]) return false;
  }
  return p.length === s.length;
}

export function assertPattern(pattern: string): void {
  const tokens = pattern.split(".");
  if (!pattern || tokens.some((t) => t === "") || tokens.slice(0, -1).includes(">")) {
    throw new Error(
      `invalid tap pattern "${pattern}": dot-separated tokens, "*" for one token, ">" only last`,
    );
  }
}

/** Redis glob that covers a NATS pattern (broader; results are filtered with subjectMatches). */
export const patternToGlob = (pattern: string): string =>
  pattern
    .split(".")
    .map((t) => (t === "*" || t === ">" ? "*" : t.replace(/[?*[\]\\]/g, "\\$&")))
    .join(".");

/**
 * Redis glob over combined tap channels (`redisTapChannel` in shared/src/events/names.ts) that
 * covers a NATS pattern: some channel of the event between newlines matches the pattern's glob.
 */
export const redisTapGlob = (pattern: string): string => `${REDIS_TAP_PREFIX}*\n${patternToGlob(pattern)}\n*`;
