import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, configSecrets, loadConfig, parseConfig } from "./load.js";

const KEY = randomBytes(32).toString("hex");
const OLD_KEY = randomBytes(32).toString("base64");

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("config", () => {
  it("has working defaults with nothing set", () => {
    const c = parseConfig({});
    expect(c.port).toBe(3001);
    expect(c.bus.kind).toBe("memory");
    expect(c.store.kind).toBe("memory");
    expect(c.mongo.db).toBe("flank");
    expect(c.whatsapp.graphApiBase).toMatch(/^https:\/\/graph\.facebook\.com\/v\d+\.\d+$/);
    // The openai SDK's defaults, so the responder need not load it to learn them.
    expect(c.openai.baseUrl).toBe("https://api.openai.com/v1");
    expect(c.openai.organization).toBeUndefined();
  });

  it("accepts the names of the systems Flank replaces", () => {
    const c = parseConfig({
      ACCESS_TOKEN: "EAAtoken",
      FB_APP_SECRET: "app-secret",
      FB_API_VERSION: "v24.0",
      REDIS_HOST: "cache.internal",
      REDIS_PORT: "6380",
      REDIS_PASSWORD: "p@ss word",
    });
    expect(c.whatsapp.token).toBe("EAAtoken");
    expect(c.whatsapp.appSecret).toBe("app-secret");
    expect(c.whatsapp.graphApiBase).toBe("https://graph.facebook.com/v24.0");
    expect(c.redis.url).toBe("redis://:p%40ss%20word@cache.internal:6380");
  });

  it("prefers the canonical name over its alias", () => {
    const c = parseConfig({
      WHATSAPP_TOKEN: "canonical",
      ACCESS_TOKEN: "alias",
      APP_SECRET: "a",
      FB_APP_SECRET: "b",
    });
    expect(c.whatsapp.token).toBe("canonical");
    expect(c.whatsapp.appSecret).toBe("a");
  });

  it("names every missing or invalid variable in one error", () => {
    const problems = problemsOf({
      BUS: "redis",
      STORE: "mongo",
      PORT: "70000",
      LOG_LEVEL: "loud",
      ENCRYPTION_KEY: "short",
      GRAPH_API_BASE: "ftp://x",
    });
    const text = problems.join("\n");
    for (const name of [
      "REDIS_URL",
      "MONGODB_URI",
      "PORT",
      "LOG_LEVEL",
      "ENCRYPTION_KEY",
      "GRAPH_API_BASE",
    ]) {
      expect(text).toContain(name);
    }
    expect(problems).toHaveLength(6);
  });

  it("rejects NATS without a URL and two ways of choosing the Graph version", () => {
    const text = problemsOf({
      BUS: "nats",
      GRAPH_API_BASE: "http://localhost:1",
      FB_API_VERSION: "v25.0",
    }).join("\n");
    expect(text).toContain("NATS_URL: required when BUS=nats");
    expect(text).toContain("FB_API_VERSION: set GRAPH_API_BASE or FB_API_VERSION, not both");
  });

  it("reads .env and config.env, and the real environment wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "flank-config-"));
    writeFileSync(join(dir, ".env"), "VERIFY_TOKEN=from-dotenv\nPORT=4000\nAPI_KEYS=a, b ,\n");
    writeFileSync(join(dir, "config.env"), "PORT=4001\n");
    const c = loadConfig({ dir, env: { VERIFY_TOKEN: "from-env" } });
    expect(c.whatsapp.verifyToken).toBe("from-env");
    expect(c.port).toBe(4001);
    expect(c.security.apiKeys).toEqual(["a", "b"]);
  });

  it("lists secret values for log scrubbing, including passwords inside URLs", () => {
    const c = parseConfig({
      WHATSAPP_TOKEN: "EAAsecret",
      REDIS_URL: "redis://:hunter22@h:6379",
      API_KEYS: "key-1234",
      ENCRYPTION_KEY: KEY,
      ENCRYPTION_KEYS_OLD: OLD_KEY,
    });
    expect(configSecrets(c)).toEqual(
      expect.arrayContaining(["EAAsecret", "hunter22", "key-1234", KEY, OLD_KEY]),
    );
  });
});
