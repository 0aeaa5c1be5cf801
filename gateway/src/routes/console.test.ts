import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeApp } from "../test-harness.js";
import { consoleRoutes } from "./console.js";

describe("/console", () => {
  const { app } = makeApp();
  const empty = mkdtempSync(join(tmpdir(), "flank-console-"));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it("serves the page with no key and a policy allowing only same-origin scripts, styles and calls", async () => {
    const res = await app.request("/console");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/console/app/main.js">');
    // No CDN: nothing loaded from another origin, no inline script.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toMatch(/<script>/);
  });

  it("serves the stylesheet and the compiled script modules", async () => {
    const css = await app.request("/console/console.css");
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(await css.text()).toContain("@media");
    const main = await app.request("/console/app/main.js");
    expect(main.status).toBe(200);
    expect(main.headers.get("content-type")).toContain("text/javascript");
    const js = await main.text();
    expect(js).toContain('from "./api.js"');
    expect(js).not.toMatch(/https?:\/\//);
    expect((await app.request("/console/app/api.js")).status).toBe(200);
    expect((await app.request("/console/app/nope.js")).status).toBe(404);
    expect((await app.request("/console/app/..%2Fpackage.json")).status).toBe(404);
  });

  it("says how to build it when the script is missing", async () => {
    const res = await consoleRoutes(`${empty}/`).request("/app/main.js");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("npm run build");
    writeFileSync(join(empty, "main.js"), "export {};");
    expect((await consoleRoutes(`${empty}/`).request("/app/main.js")).status).toBe(200);
  });
});
