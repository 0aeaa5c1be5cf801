import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.js";

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      include: ["console/src/**/*.test.ts"],
      globalSetup: ["./console/build-for-tests.ts"],
    },
  }),
);
