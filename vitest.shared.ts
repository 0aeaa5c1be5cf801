import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the workspace packages from source, so no build is needed before `vitest`.
const src = (p: string) => fileURLToPath(new URL(`./${p}`, import.meta.url));

/** @flank/shared's subpaths (its package.json "exports") and their sources. */
const SHARED: Record<string, string> = {
  agents: "shared/src/agents/index.ts",
  bus: "shared/src/bus/index.ts",
  config: "shared/src/config/index.ts",
  contract: "shared/src/events/index.ts",
  crypto: "shared/src/crypto/index.ts",
  errors: "shared/src/errors.ts",
  flows: "shared/src/flows/index.ts",
  http: "shared/src/http/index.ts",
  integrations: "shared/src/integrations/index.ts",
  lifecycle: "shared/src/lifecycle/index.ts",
  log: "shared/src/log/index.ts",
  media: "shared/src/media/index.ts",
  "rate-limit": "shared/src/rate-limit/index.ts",
  redis: "shared/src/redis/client.ts",
  routing: "shared/src/routing/index.ts",
  store: "shared/src/store/index.ts",
  util: "shared/src/util.ts",
  whatsapp: "shared/src/whatsapp/index.ts",
};

export const sharedTestConfig = defineConfig({
  resolve: {
    alias: [
      ...Object.entries(SHARED).map(([sub, file]) => ({
        find: new RegExp(`^@flank/shared/${sub}$`),
        replacement: src(file),
      })),
      { find: /^@flank\/testing\/fixtures$/, replacement: src("testing/src/fixtures/index.ts") },
      { find: /^@flank\/(testing|devtools|gateway|router|responder)$/, replacement: src("$1/src/index.ts") },
    ],
  },
  test: {
    // `npm test`: unit and contract suites. `npm run test:system` (TEST_SUITE=system): the
    // *.system.test.ts suites, which run real processes (kill -9, start failures, memory) and
    // headless Chromium. CI runs both (.ci/run).
    include: [process.env.TEST_SUITE === "system" ? "src/**/*.system.test.ts" : "src/**/*.test.ts"],
    exclude: process.env.TEST_SUITE === "system" ? [] : ["**/*.system.test.ts", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" },
  },
});
