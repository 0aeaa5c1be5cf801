import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.js";

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      // The console's own unit suites run with `npm test`, not again with the system suites.
      include: process.env.TEST_SUITE === "system" ? [] : ["console/src/**/*.test.ts"],
      globalSetup: ["./console/build-for-tests.ts"],
    },
  }),
);
