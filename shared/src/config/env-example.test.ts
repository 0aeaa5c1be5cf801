import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { EnvSchema } from "./schema.js";

const root = new URL("../../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");
const ALIASES = [
  "ACCESS_TOKEN",
  "FB_APP_SECRET",
  "FB_API_VERSION",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
];
const shape = EnvSchema.in.shape as Record<
  string,
  { safeParse(v: unknown): { success: boolean; data?: unknown } }
>;
const NAMES = Object.keys(shape);

/** The schema's default for a variable, or undefined when it has none (or an empty list). */
function schemaDefault(name: string): string | number | boolean | undefined {
  const r = shape[name]?.safeParse(undefined);
  const value = r?.success ? r.data : undefined;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : undefined;
}

/** A written default matches when it is the same text, or the same number to 4 significant digits. */
function sameDefault(written: string, expected: string | number | boolean): boolean {
  if (typeof expected === "number") return Number(written) === Number(expected.toPrecision(4));
  return written === String(expected);
}

/** docs/configuration.md's table: `NAME` | default | meaning, one variable a row. */
function docsTable(): Map<string, string> {
  const doc = read("docs/configuration.md");
  const section = doc.slice(doc.indexOf("## Every variable"));
  const rows = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm))
    rows.set(m[1] ?? "", (m[2] ?? "").trim());
  return rows;
}

describe(".env.example", () => {
  const example = read(".env.example");

  it("lists every variable of the config schema (aliases are documented in comments)", () => {
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const schemaVars = NAMES.filter((k) => !ALIASES.includes(k));
    expect(schemaVars.filter((k) => !listed.has(k))).toEqual([]);
    expect([...listed].filter((k) => !NAMES.includes(k as string))).toEqual([]);
  });

  it("shows the schema's defaults", () => {
    const wrong = Object.entries(parseEnv(example)).filter(([name, value]) => {
      const expected = schemaDefault(name);
      return value !== undefined && value !== "" && expected !== undefined && !sameDefault(value, expected);
    });
    expect(wrong).toEqual([]);
  });

  it("parses as a valid configuration as it stands", async () => {
    const { parseConfig } = await import("./load.js");
    expect(() => parseConfig(parseEnv(example))).not.toThrow();
  });
});

describe("docs/configuration.md", () => {
  it("has a row for every variable of the schema, aliases included, and no other", () => {
    const rows = docsTable();
    expect(NAMES.filter((k) => !rows.has(k))).toEqual([]);
    expect([...rows.keys()].filter((k) => !NAMES.includes(k))).toEqual([]);
  });

  it("gives the schema's default wherever the schema has one", () => {
    const wrong = [...docsTable()].flatMap(([name, cell]) => {
      const expected = schemaDefault(name);
      if (expected === undefined) return [];
      const written = /^`([^`]*)`$/.exec(cell)?.[1];
      return written !== undefined && sameDefault(written, expected) ? [] : [{ name, cell, expected }];
    });
    expect(wrong).toEqual([]);
  });
});
