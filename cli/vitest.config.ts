import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.js";

// The console test serves the gateway's compiled console: build it first, as for the gateway's tests.
export default mergeConfig(
  sharedTestConfig,
  defineConfig({ test: { globalSetup: ["../gateway/console/build-for-tests.ts"] } }),
);
