import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuilt, progressLine } from "../bin/build.mjs";
import { REPO_ROOT } from "./stack.js";

const dir = mkdtempSync(join(tmpdir(), "flank-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm start: the build says what it builds", () => {
  it("turns turbo's output into one line per package built, keeps errors and drops the chatter", () => {
    const turbo = [
      "   • Running build in 5 packages",
      "@flank/shared:build: cache miss, executing a4d2b89854866b8a",
      "@flank/shared:build: ",
      "@flank/shared:build: > tsc -p tsconfig.build.json",
      "@flank/router:build: cache hit, suppressing logs 4707d66e651dc19a",
      "@flank/cli:build: src/x.ts(1,7): error TS2322: Type 'number' is not assignable to type 'string'.",
      " Tasks:    5 successful, 5 total",
      "  Time:    33.079s ",
    ];
    expect(turbo.map(progressLine).filter((l) => l !== undefined)).toEqual([
      "  building @flank/shared…",
      "  @flank/cli: src/x.ts(1,7): error TS2322: Type 'number' is not assignable to type 'string'.",
    ]);
  });

  it("the start and stack scripts build through it", () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    expect(scripts.start).toBe("node cli/bin/build.mjs && node cli/dist/main.js");
    expect(scripts.stack).toMatch(/^node cli\/bin\/build\.mjs && /);
  });
});

/** What the stand-in build compiles: a CLI that says what it was asked to run. */
const CLI_JS = 'export const runProcess = (argv) => console.log("ran " + argv.join(" "));';

describe("npx flank before the first build", () => {
  it("builds when the compiled CLI is missing, and only then", async () => {
    const builds: string[] = [];
    const fakeBuild = async () => {
      builds.push("build");
      return 0;
    };
    expect(await ensureBuilt(join(dir, "missing.js"), fakeBuild)).toBe(0);
    expect(builds).toEqual(["build"]);
    const present = join(dir, "cli.js");
    writeFileSync(present, "");
    expect(await ensureBuilt(present, fakeBuild)).toBe(0);
    expect(builds).toEqual(["build"]);
    // A failed build is the shim's exit code.
    expect(await ensureBuilt(join(dir, "missing.js"), async () => 2)).toBe(2);
  });

  it("the bin builds first in a checkout without dist, showing progress, then runs the command", () => {
    // A checkout as a fresh clone has it: the bin scripts, no dist; a stand-in turbo that
    // "compiles" the CLI the way the real build does (it writes cli/dist/cli.js).
    const root = join(dir, "clone");
    mkdirSync(join(root, "cli/bin"), { recursive: true });
    for (const f of ["flank.mjs", "build.mjs"])
      copyFileSync(join(REPO_ROOT, "cli/bin", f), join(root, "cli/bin", f));
    mkdirSync(join(root, "node_modules/turbo/bin"), { recursive: true });
    writeFileSync(
      join(root, "node_modules/turbo/bin/turbo"),
      [
        'const { mkdirSync, writeFileSync } = require("node:fs");',
        'console.log("@flank/cli:build: cache miss, executing 0123");',
        'mkdirSync("cli/dist", { recursive: true });',
        `writeFileSync("cli/dist/cli.js", ${JSON.stringify(CLI_JS)});`,
        "",
      ].join("\n"),
    );
    writeFileSync(join(root, "node_modules/turbo/package.json"), "{}");
    writeFileSync(join(root, "package.json"), '{"type":"module"}');
    const first = spawnSync(process.execPath, [join(root, "cli/bin/flank.mjs"), "--version"], {
      encoding: "utf8",
    });
    expect(first.status).toBe(0);
    expect(first.stderr).toContain("building @flank/cli");
    expect(first.stdout).toBe("ran --version\n");
    // Built now: no second build.
    const second = spawnSync(process.execPath, [join(root, "cli/bin/flank.mjs"), "help"], {
      encoding: "utf8",
    });
    expect(second.stderr).toBe("");
    expect(second.stdout).toBe("ran help\n");
  });

  it("the bin prints the package's version", () => {
    const bin = join(REPO_ROOT, "cli/bin/flank.mjs");
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "cli/package.json"), "utf8"));
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" })).toBe(`${version}\n`);
  });
});
