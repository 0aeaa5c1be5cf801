import {
  FIELD_CASES,
  MESSAGE_CASES,
  STATUS_CASES,
  TEMPLATE_STATUS_BODY,
  VALUE_ERRORS_BODY,
} from "@flank/testing/fixtures";
import { describe, expect, it } from "vitest";
import { FlankEvent } from "../events/schemas.js";
import { normalizeWebhook } from "./normalize.js";

/**
 * Nothing Meta may send fails validation after the gateway answered 200. Every leaf of every
 * fixture body is replaced, one at a time, by values Meta's documents never show (numbers past
 * 2^53, fractions, huge exponents, empty strings, wrong types): every event the normalizer makes
 * must still validate, each change must still produce an event or a logged skip, and an
 * out-of-range number where Meta writes a number never costs an event.
 */
type Path = (string | number)[];

const BODIES: { name: string; body: unknown }[] = [
  ...MESSAGE_CASES.map((c) => ({ name: `message: ${c.name}`, body: c.body })),
  ...STATUS_CASES.map((c) => ({ name: `status: ${c.name}`, body: c.body })),
  ...FIELD_CASES.map((c) => ({ name: `field: ${c.name}`, body: c.body })),
  { name: "value errors", body: VALUE_ERRORS_BODY },
  { name: "template status", body: TEMPLATE_STATUS_BODY },
];

const OUT_OF_RANGE_NUMBERS = [2 ** 64, -(2 ** 64), Number.MAX_SAFE_INTEGER + 2, 1.5, -1, 0, 1e308, -1e-308];
const OUT_OF_RANGE_DIGITS = ["18446744073709551616", "-1", "1e400", "0.5", "99999999999999999999999"];
const WRONG_TYPES: unknown[] = ["", " ", "x", null, true, [], {}, [1], { a: 1 }, 2 ** 70];

function leaves(value: unknown, path: Path = []): { path: Path; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [{ path, value }];
}

function withLeaf(body: unknown, path: Path, next: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1] as string | number] = next;
  return copy;
}

function check(body: unknown): { events: number; failures: string[]; accounted: boolean } {
  const out = normalizeWebhook(body);
  const failures = out.events.flatMap((e) => {
    const parsed = FlankEvent.safeParse(JSON.parse(JSON.stringify(e)));
    return parsed.success
      ? []
      : [`${e.type}: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`];
  });
  return { events: out.events.length, failures, accounted: out.events.length + out.skipped.length > 0 };
}

describe("hostile values: every event validates after the 200 (table over every fixture leaf)", () => {
  it.each(BODIES)("$name", ({ body }) => {
    const baseline = check(body);
    expect(baseline.failures).toEqual([]);
    const problems: string[] = [];
    for (const { path, value } of leaves(body)) {
      const where = path.join(".");
      const numeric = typeof value === "number";
      const digits = typeof value === "string" && /^\d+$/.test(value);
      const candidates = [
        ...(numeric ? OUT_OF_RANGE_NUMBERS : []),
        ...(digits ? OUT_OF_RANGE_DIGITS : []),
        ...WRONG_TYPES,
      ];
      for (const next of candidates) {
        const result = check(withLeaf(body, path, next));
        for (const f of result.failures) problems.push(`${where} = ${JSON.stringify(next)} → ${f}`);
        if (!result.accounted)
          problems.push(`${where} = ${JSON.stringify(next)} → nothing published or skipped`);
        // A number where Meta writes a number (or a digit string) never costs an event.
        const rangeOnly =
          (numeric && OUT_OF_RANGE_NUMBERS.includes(next as number)) ||
          (digits && OUT_OF_RANGE_DIGITS.includes(next as string));
        if (rangeOnly && path[path.length - 1] !== "field" && result.events < baseline.events) {
          problems.push(
            `${where} = ${JSON.stringify(next)} → ${baseline.events - result.events} event(s) lost`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("the issue's case: an error code past 2^53 keeps the whole message event", () => {
    const body = withLeaf(
      MESSAGE_CASES.find((c) => c.name === "unsupported with errors")?.body,
      ["entry", 0, "changes", 0, "value", "messages", 0, "errors", 0, "code"],
      2 ** 60,
    );
    const out = normalizeWebhook(body);
    expect(out.events).toHaveLength(1);
    expect(FlankEvent.safeParse(out.events[0]).success).toBe(true);
    expect(out.events[0]?.data).toMatchObject({ errors: [{ code: 2 ** 60 }] });
  });
});
