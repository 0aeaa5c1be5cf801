import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnvSchema } from "./schema.js";

const root = new URL("../../../", import.meta.url);
const ALIASES = [
  "ACCESS_TOKEN",
  "FB_APP_SECRET",
  "FB_API_VERSION",
  "REDIS_HOST",
  "REDIS_PORT",
  "REDIS_PASSWORD",
];

describe(".env.example", () => {
  it("lists every variable of the config schema (aliases are documented in comments)", () => {
    const example = readFileSync(new URL(".env.example", root), "utf8");
    const listed = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const schemaVars = Object.keys(EnvSchema.in.shape).filter((k) => !ALIASES.includes(k));
    expect(schemaVars.filter((k) => !listed.has(k))).toEqual([]);
    expect([...listed].filter((k) => !Object.keys(EnvSchema.in.shape).includes(k as string))).toEqual([]);
  });

  it("every variable of the config schema, aliases included, is documented in the README", () => {
    const readme = readFileSync(new URL("README.md", root), "utf8");
    expect(Object.keys(EnvSchema.in.shape).filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
  });

  it("parses as a valid configuration as it stands", async () => {
    const { parseEnv } = await import("node:util");
    const { parseConfig } = await import("./load.js");
    expect(() => parseConfig(parseEnv(readFileSync(new URL(".env.example", root), "utf8")))).not.toThrow();
  });
});
