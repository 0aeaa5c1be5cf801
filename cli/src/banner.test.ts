import { describe, expect, it } from "vitest";
import { banner, exportLine } from "./banner.js";
import { withLocalDefaults } from "./local-config.js";
import { bareConfig } from "./test-helpers.js";

const fixed = (bytes: number) => "a".repeat(bytes * 2);

describe("the banner", () => {
  const e = {
    url: "http://127.0.0.1:3001",
    consoleUrl: "http://127.0.0.1:3001/console",
    playgroundUrl: "http://127.0.0.1:3001/playground#token=t",
    simulated: [],
  };

  it("prints every generated key, the admin key included, and a line that exports them", () => {
    const { generated } = withLocalDefaults(bareConfig(), fixed);
    const text = banner({ ...e, generated: { ...generated, agentKey: "flk_agent_x" } });
    for (const value of Object.values(generated)) expect(text).toContain(value);
    expect(text).toMatch(/ADMIN_API_KEYS\s+flk_admin_a+/);
    expect(text).toContain("flk_agent_x");
    expect(exportLine({ url: e.url, generated })).toBe(
      `export FLANK_URL=${e.url} FLANK_API_KEY=${generated.apiKey} FLANK_ADMIN_KEY=${generated.adminKey} ` +
        `APP_SECRET=${generated.appSecret} VERIFY_TOKEN=${generated.verifyToken}`,
    );
  });

  it("prints no secret the environment set", () => {
    const text = banner({ ...e, generated: {} });
    expect(text).not.toContain("Generated for this run");
    expect(text).toContain(`export FLANK_URL=${e.url}\n`);
  });
});
