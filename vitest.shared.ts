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
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "silent" },
  },
});
