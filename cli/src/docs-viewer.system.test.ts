import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { hasBinary } from "@flank/testing";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";
import { REPO_ROOT } from "./stack.js";
import { bareConfig, launchChromium, silentLog } from "./test-helpers.js";

// The gateway's /docs in headless Chromium: the viewer renders every operation of /openapi.json
// from the gateway's own files, and the page asks nothing of any other origin.
describe.skipIf(!hasBinary("chromium"))("/docs in Chromium", () => {
  let flank: Embedded;
  let context: BrowserContext;
  beforeAll(async () => {
    flank = await startEmbedded(bareConfig(), silentLog(), { port: 0 });
    context = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await flank?.stop();
  });

  it("renders every operation, with its operationId, from same-origin files only", async () => {
    const doc = (await (await fetch(`${flank.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(`${flank.url}/docs`);
    await page.waitForSelector(".opblock");
    await expect.poll(() => page.locator(".opblock").count()).toBe(ids.length);
    const shown = await page.locator(".opblock .opblock-summary-operation-id").allTextContents();
    expect(new Set(shown)).toEqual(new Set(ids));
    expect(await page.locator(".opblock-summary-description").first().textContent()).toMatch(/\w{3,}/);
    // Opening an operation shows its example request body.
    await page.locator("#operations-messages-sendText .opblock-summary").click();
    await expect
      .poll(() => page.locator("#operations-messages-sendText").textContent())
      .toContain("+16505551234");
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((u) => !u.startsWith(`${flank.url}/`) && !u.startsWith("data:"))).toEqual([]);
    expect(problems.filter((p) => !/favicon|\.map\b/.test(p))).toEqual([]);
    const dir = join(REPO_ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "docs.png");
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  }, 60_000);
});
