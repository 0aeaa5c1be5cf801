import { describe, expect, it } from "vitest";
import { LOCAL_PHONE_NUMBER_ID, simulatedParts, withLocalDefaults } from "./local-config.js";
import { bareConfig } from "./test-helpers.js";

const fixed = (bytes: number) => "a".repeat(bytes * 2);

describe("local defaults for a first run", () => {
  it("generates every unset secret and simulates the Cloud API without a token", () => {
    const { config, generated, simulateWhatsApp } = withLocalDefaults(bareConfig(), fixed);
    expect(simulateWhatsApp).toBe(true);
    expect(generated).toEqual({
      appSecret: "a".repeat(48),
      verifyToken: "a".repeat(24),
      apiKey: `flk_local_${"a".repeat(32)}`,
      adminKey: `flk_admin_${"a".repeat(32)}`,
      simulatorToken: `sim_${"a".repeat(32)}`,
    });
    expect(config.whatsapp).toMatchObject({
      appSecret: generated.appSecret,
      token: generated.simulatorToken,
    });
    expect(config.whatsapp.phoneNumberId).toBe(LOCAL_PHONE_NUMBER_ID);
    expect(config.security.apiKeys).toEqual([generated.apiKey]);
    expect(config.security.adminApiKeys).toEqual([generated.adminKey]);
  });

  it("never replaces a value that is set", () => {
    const base = bareConfig({
      APP_SECRET: "mine",
      VERIFY_TOKEN: "v",
      API_KEYS: "k1,k2",
      ADMIN_API_KEYS: "a1",
      WHATSAPP_TOKEN: "EAAG",
      PHONE_NUMBER_ID: "42",
    });
    const { config, generated, simulateWhatsApp } = withLocalDefaults(base, fixed);
    expect(generated).toEqual({});
    expect(simulateWhatsApp).toBe(false);
    expect(config.whatsapp).toEqual(base.whatsapp);
    expect(config.security).toEqual(base.security);
  });

  it("names what is simulated, and nothing once every part is real", () => {
    expect(simulatedParts(bareConfig(), true)).toHaveLength(4);
    const real = bareConfig({
      OPENAI_API_KEY: "sk",
      BUS: "redis",
      REDIS_URL: "redis://r:6379",
      STORE: "mongo",
      MONGODB_URI: "mongodb://m",
    });
    expect(simulatedParts(real, false)).toEqual([]);
  });
});
