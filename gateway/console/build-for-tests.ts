import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Vitest global setup (gateway and cli): compiles the console's script as `npm run build` does,
 * so tests that serve /console (the headless Chromium run included) use the current source.
 */
export function setup(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("./tsconfig.build.json", import.meta.url));
  // --noCheck: only emit; types are checked by `npm run typecheck` (which builds shared first).
  execFileSync(process.execPath, [tsc, "-p", project, "--noCheck"], { stdio: "inherit" });
}
