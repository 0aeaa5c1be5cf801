import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("the bin prints the package's version", () => {
    const bin = join(REPO_ROOT, "cli/bin/flank.mjs");
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "cli/package.json"), "utf8"));
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" })).toBe(`${version}\n`);
  });
});
