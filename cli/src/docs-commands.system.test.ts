import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportedVars, shellBlocks } from "./docs-commands.js";
import { REPO_ROOT } from "./stack.js";

const FILES = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);
const BLOCKS = FILES.flatMap((file) => shellBlocks(file, readFileSync(join(REPO_ROOT, file), "utf8")));
const RUN = BLOCKS.filter((b) => !b.notRun);

describe("the docs' shell blocks", () => {
  it("are found, and those not run are marked with a reason", () => {
    expect(RUN.length).toBeGreaterThanOrEqual(6);
    expect(BLOCKS.filter((b) => b.notRun !== undefined && b.notRun.trim().length < 5)).toEqual([]);
    expect(
      shellBlocks("x.md", "<!-- not-run: needs Meta -->\n\n```sh\nnpm start\n```\n```bash\nls\n```\n"),
    ).toEqual([
      { file: "x.md", line: 3, script: "npm start", notRun: "needs Meta" },
      { file: "x.md", line: 6, script: "ls" },
    ]);
  });

  it("use curl -f, so an HTTP error fails the command", () => {
    const lax = RUN.flatMap((b) =>
      b.script
        .split("\n")
        .filter((l) => /^\s*curl /.test(l) && !/ -[a-zA-Z]*f/.test(l))
        .map((l) => `${b.file}:${b.line}: ${l}`),
    );
    expect(lax).toEqual([]);
  });
});

/**
 * Every command of README.md and docs/*.md, run with bash as printed against Flank started the
 * way `npm start` starts it (the built CLI, simulated Cloud API), with the variables its banner's
 * `export` line sets. A block that needs what a test cannot have is marked `<!-- not-run: … -->`.
 */
describe("the docs' commands run as printed against npm start", () => {
  let flank: ChildProcess;
  let env: Record<string, string>;
  const cwd = mkdtempSync(join(tmpdir(), "flank-docs-"));

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [join(REPO_ROOT, "cli/bin/build.mjs")], { encoding: "utf8" });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
    // An empty cwd, so no .env of the developer's applies; only what a fresh clone has.
    const { PATH, HOME } = process.env;
    flank = spawn(process.execPath, [join(REPO_ROOT, "cli/dist/main.js"), "start", "--port", "0"], {
      cwd,
      env: { PATH, HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const vars = await new Promise<Record<string, string>>((resolve, reject) => {
      flank.stdout?.on("data", (d) => {
        out += String(d);
        const found = out.includes("Ctrl-C stops.") ? exportedVars(out) : undefined;
        if (found) resolve(found);
      });
      flank.stderr?.on("data", (d) => {
        out += String(d);
      });
      flank.on("exit", (code) => reject(new Error(`flank start exited ${code}:\n${out}`)));
    });
    env = { ...(process.env as Record<string, string>), ...vars };
  }, 180_000);

  afterAll(async () => {
    if (flank && flank.exitCode === null) {
      const exited = new Promise((r) => flank.once("exit", r));
      flank.kill("SIGTERM");
      await exited;
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it("the banner exports every variable the commands use", () => {
    for (const name of [
      "FLANK_URL",
      "FLANK_API_KEY",
      "FLANK_ADMIN_KEY",
      "FLANK_AGENT_KEY",
      "APP_SECRET",
      "VERIFY_TOKEN",
    ])
      expect(env[name], name).toBeTruthy();
    const used = new Set(RUN.flatMap((b) => [...b.script.matchAll(/\$\{?([A-Z_]+)/g)].map((m) => m[1])));
    expect([...used].filter((name) => name && !(name in env))).toEqual([]);
  });

  it.each(RUN.map((b) => [`${b.file}:${b.line}`, b] as const))("%s", (_where, block) => {
    const res = spawnSync("bash", ["-e", "-o", "pipefail", "-c", block.script], {
      cwd: REPO_ROOT,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect({ status: res.status, stderr: res.stderr }).toMatchObject({ status: 0 });
  });
});
