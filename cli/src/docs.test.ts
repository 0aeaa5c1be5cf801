import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./stack.js";

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
const DOCS = ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith(".md"),
);

/** A heading's anchor as the usual Markdown renderers make it. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
const headings = (file: string) =>
  [...read(file).matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] ?? "").trim());

/** Every source file: TypeScript and scripts, without dependencies and build output. */
function sources(dir = REPO_ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|mjs|js)$/.test(name) ? [relative(REPO_ROOT, path)] : [];
  });
}
const SELF = relative(REPO_ROOT, new URL(import.meta.url).pathname);

describe("README and docs/", () => {
  it("README.md is at most 8 KB", () => {
    expect(Buffer.byteLength(read("README.md"))).toBeLessThanOrEqual(8192);
  });

  it("every relative link resolves to a file, and every #anchor to a heading in it", () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const m of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] ?? "";
        if (/^[a-z]+:/.test(link)) continue;
        const [path = "", anchor] = link.split("#");
        const target = path === "" ? file : relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), path));
        if (!existsSync(join(REPO_ROOT, target))) broken.push(`${file}: ${link}`);
        else if (anchor && !headings(target).map(slug).includes(anchor))
          broken.push(`${file}: ${link} (no heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe("code comments cite files in the repo", () => {
  const files = sources().filter((f) => f !== SELF);

  it("and never sections of documents outside it", () => {
    const outside = [
      /\b(ARCHITECTURE|CONVENTIONS|checklist|contract)[^a-z\n]{0,3}§?\s?\d/,
      /(?<!RFC \d+ |issue \d+ )§\s?\d/,
      /\.\.\/shared\/[A-Za-z-]+\.md|\/work\/shared/,
    ];
    const found = files.flatMap((file) =>
      read(file)
        .split("\n")
        .flatMap((line, i) =>
          outside.some((re) => re.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(found).toEqual([]);
  });

  it("and the files and sections they cite exist", () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const m of read(file).matchAll(/\b(docs\/[a-z-]+\.md)(?:[ :]+"?([A-Z][^"()]*?)"?(?=[),.;]))?/g)) {
        const [, doc = "", section] = m;
        if (!existsSync(join(REPO_ROOT, doc))) missing.push(`${file}: ${doc}`);
        else if (section && !headings(doc).some((h) => h.startsWith(section)))
          missing.push(`${file}: ${doc} "${section}"`);
      }
    }
    expect(missing).toEqual([]);
  });
});
