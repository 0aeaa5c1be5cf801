// For tests that run the gateway as its own process (not exported from index.ts).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));

/** The built entry, as the Dockerfile and docker-compose.yml run it. */
export const GATEWAY_MAIN = join(GATEWAY_DIR, "dist/main.js");

/** Builds the gateway (its dependencies are built by turbo before any test runs). */
export function buildGateway(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: GATEWAY_DIR, stdio: "pipe" });
}
