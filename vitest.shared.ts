import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the workspace packages from source, so no build is needed before `vitest`.
const src = (p: string) => fileURLToPath(new URL(`./${p}`, import.meta.url));

export const sharedTestConfig = defineConfig({
  resolve: {
    alias: [
      { find: /^@flank\/shared\/testing$/, replacement: src("shared/src/testing/index.ts") },
      { find: /^@flank\/(shared|gateway|router|responder)$/, replacement: src("$1/src/index.ts") },
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
