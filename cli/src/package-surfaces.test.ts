import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./stack.js";

const json = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, file), "utf8"));
const PRODUCTION = ["shared", "gateway", "router", "responder"];
/** Source files compiled into a package's dist (what tsconfig.build.json leaves in). */
const shipped = (pkg: string): string[] => {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (
        /\.ts$/.test(entry.name) &&
        !/\.(test|contract)\.ts$|\.harness\.ts$|test-(helpers|harness|build)\.ts$/.test(entry.name)
      )
        out.push(path);
    }
  };
  walk(`${pkg}/src`);
  return out;
};

describe("package surfaces", () => {
  it("@flank/shared is imported by subpath: no barrel", () => {
    const exports = Object.keys(json("shared/package.json").exports);
    expect(exports).not.toContain(".");
    expect(exports).toEqual(
      expect.arrayContaining(["./contract", "./bus", "./store", "./config", "./lifecycle"]),
    );
  });

  it("no package compiles its test helpers into dist", () => {
    for (const pkg of [...PRODUCTION, "cli", "devtools", "testing"]) {
      const excluded: string[] = json(`${pkg}/tsconfig.build.json`).exclude;
      const helpers = readdirSync(join(REPO_ROOT, pkg, "src")).filter((f) => /^test-|\.harness\.ts$/.test(f));
      for (const helper of helpers)
        expect(
          excluded.some(
            (e) => e === `src/${helper}` || (e.includes("*") && helper.endsWith(e.split("*").pop() ?? "-")),
          ),
          `${pkg}/src/${helper}`,
        ).toBe(true);
    }
  });

  it("the production packages ship no simulator and no test helpers", () => {
    for (const pkg of PRODUCTION) {
      const deps = Object.keys(json(`${pkg}/package.json`).dependencies ?? {});
      expect(deps, pkg).not.toContain("@flank/devtools");
      expect(deps, pkg).not.toContain("@flank/testing");
      for (const file of shipped(pkg)) {
        const text = readFileSync(join(REPO_ROOT, file), "utf8");
        expect(text, file).not.toMatch(/from "@flank\/(devtools|testing)/);
      }
    }
  });
});

describe("bench scripts", () => {
  // The bench runs from the built packages, which no test imports: a moved module broke
  // `npm run bench` on a fresh clone while every suite passed.
  it("import only files that exist (a package's dist/X.js from its src/X.ts)", () => {
    const scripts = ["bench", "bench/lib"].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir))
        .filter((f) => f.endsWith(".mjs"))
        .map((f) => `${dir}/${f}`),
    );
    const missing: string[] = [];
    for (const script of scripts) {
      for (const [, spec] of readFileSync(join(REPO_ROOT, script), "utf8").matchAll(
        /from "(\.{1,2}\/[^"]+)"/g,
      )) {
        const target = join(REPO_ROOT, script, "..", spec as string);
        const source = target.replace(/\/dist\/(.*)\.js$/, "/src/$1.ts");
        if (!existsSync(target) && !existsSync(source)) missing.push(`${script}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
