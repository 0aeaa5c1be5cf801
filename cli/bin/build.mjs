#!/usr/bin/env node
// Builds every package with turbo and says what it is building: a first build takes about half a
// minute, which turbo's errors-only output spent in silence. `npm start`, `npm run stack` and a
// first `npx flank` run it. Plain JavaScript, so it runs before anything is compiled.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * What to print for one line of `turbo run build --output-logs=new-only`: a "building" line when a
 * package starts compiling, the compiler's own lines (errors) with the package's name, nothing
 * for turbo's chatter and cache hits. Returns undefined for lines to drop.
 */
export function progressLine(line) {
  const task = /^(\S+):build: ?(.*)$/.exec(line);
  if (task) {
    const [, pkg, rest] = task;
    if (rest.startsWith("cache miss")) return `  building ${pkg}…`;
    if (rest.startsWith("cache hit") || rest.trim() === "" || rest.startsWith("> ")) return undefined;
    return `  ${pkg}: ${rest}`;
  }
  const text = line.trim();
  if (text === "" || text.startsWith("•") || /^(Tasks|Cached|Time):/.test(text)) return undefined;
  return line;
}

/** Runs the build, printing progress lines to `write`; resolves to turbo's exit code. */
export function build({ root = ROOT, write = (t) => process.stderr.write(t) } = {}) {
  const started = Date.now();
  let built = 0;
  const child = spawn(
    process.execPath,
    [`${root}/node_modules/turbo/bin/turbo`, "run", "build", "--output-logs=new-only", "--log-order=stream"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  const echo = (stream) =>
    createInterface({ input: stream }).on("line", (line) => {
      const out = progressLine(line);
      if (out === undefined) return;
      if (out.startsWith("  building ") && built++ === 0)
        write("Building Flank (a first build takes about half a minute):\n");
      write(`${out}\n`);
    });
  echo(child.stdout);
  echo(child.stderr);
  return new Promise((resolve) => {
    child.on("error", (err) => {
      write(`build: ${err.message}\n`);
      resolve(1);
    });
    child.on("close", (code) => {
      if (code === 0 && built > 0)
        write(
          `Built ${built} package${built === 1 ? "" : "s"} in ${Math.round((Date.now() - started) / 1000)} s.\n`,
        );
      resolve(code ?? 1);
    });
  });
}

/** Builds only when `file` (the CLI's compiled entry) is missing: `npx flank` before a first build. */
export async function ensureBuilt(file, runBuild = build) {
  if (existsSync(file)) return 0;
  return runBuild();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await build();
