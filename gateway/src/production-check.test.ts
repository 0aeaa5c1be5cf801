import { randomBytes } from "node:crypto";
import { type Env, parseConfig } from "@flank/shared/config";
import { describe, expect, it } from "vitest";
import { assertProductionReady, productionProblems } from "./production-check.js";

const KEY = randomBytes(32).toString("hex");
const READY: Env = {
  NODE_ENV: "production",
  APP_SECRET: "s3cret-app",
  ENCRYPTION_KEY: KEY,
  API_KEYS: "k-0123456789",
};

describe("productionProblems", () => {
  it("is empty for a complete production config, and outside production", () => {
    expect(productionProblems(parseConfig(READY))).toEqual([]);
    expect(productionProblems(parseConfig({ NODE_ENV: "development" }))).toEqual([]);
    expect(productionProblems(parseConfig({ NODE_ENV: "test" }))).toEqual([]);
  });

  it.each([
    ["APP_SECRET", /^APP_SECRET \(or FB_APP_SECRET\)/],
    ["ENCRYPTION_KEY", /^ENCRYPTION_KEY:/],
    ["API_KEYS", /^API_KEYS:/],
  ])("names %s when it is missing", (name, expected) => {
    const problems = productionProblems(parseConfig({ ...READY, [name]: "" }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it("accepts the FB_APP_SECRET alias", () => {
    expect(
      productionProblems(parseConfig({ ...READY, APP_SECRET: "", FB_APP_SECRET: "alias-secret" })),
    ).toEqual([]);
  });

  it("refuses to start with one message naming everything missing", () => {
    const config = parseConfig({ NODE_ENV: "production" });
    expect(() => assertProductionReady(config)).toThrow(/APP_SECRET[\s\S]*ENCRYPTION_KEY[\s\S]*API_KEYS/);
    expect(() => assertProductionReady(parseConfig(READY))).not.toThrow();
  });
});

describe("security settings in the config schema", () => {
  it("parses the defaults and lists", () => {
    const { security } = parseConfig({
      ENCRYPTION_KEY: KEY,
      ENCRYPTION_KEYS_OLD: `${randomBytes(32).toString("base64")}, ${randomBytes(32).toString("hex")}`,
      CORS_ORIGINS: "https://a.example.com,http://localhost:5173",
    });
    expect(security.encryptionKeysOld).toHaveLength(2);
    expect(security.corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(security.rateLimitPerKey).toBe(600);
    expect(security.rateLimitPerIp).toBe(300);
    expect(security.trustProxy).toBe(false);
  });

  it("names bad values: old keys without a current one, malformed keys and origins", () => {
    expect(() => parseConfig({ ENCRYPTION_KEYS_OLD: KEY })).toThrow(
      /ENCRYPTION_KEY: required when ENCRYPTION_KEYS_OLD/,
    );
    expect(() => parseConfig({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEYS_OLD: "short" })).toThrow(
      /ENCRYPTION_KEYS_OLD/,
    );
    expect(() => parseConfig({ CORS_ORIGINS: "https://a.example.com/path" })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig({ RATE_LIMIT_PER_KEY: "-1" })).toThrow(/RATE_LIMIT_PER_KEY/);
  });
});
