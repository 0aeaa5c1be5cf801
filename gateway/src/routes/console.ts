import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { GatewayEnv } from "../deps.js";
import { consolePage } from "./console-page.js";
import { CONSOLE_STYLE } from "./console-style.js";

export const CONSOLE_PATH = "/console";

/**
 * Where `npm run build` puts the console's compiled script (gateway/console → gateway/dist/console).
 * The same path from src/routes and from dist/routes.
 */
export const CONSOLE_ASSETS_DIR = fileURLToPath(new URL("../../dist/console/", import.meta.url));

/**
 * The operator console (docs/architecture.md "HTTP surface"): the page, its stylesheet and its compiled ES modules,
 * all from this gateway (no CDN). The page holds no secret; it calls the agent API with the key
 * the agent signs in with. Files are read once, on first use.
 */
export function consoleRoutes(dir = CONSOLE_ASSETS_DIR): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const page = consolePage(CONSOLE_PATH);
  let assets: Promise<Map<string, string>> | undefined;
  const load = async () => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[a-z0-9-]+\.js$/.test(n));
    return new Map(
      await Promise.all(names.map(async (n) => [n, await readFile(`${dir}${n}`, "utf8")] as const)),
    );
  };

  app.get("/", (c) => c.html(page, 200, { "cache-control": "no-cache" }));
  app.get("/console.css", (c) => c.body(CONSOLE_STYLE, 200, { "content-type": "text/css; charset=utf-8" }));
  app.get("/app/:file", async (c) => {
    assets ??= load();
    const body = (await assets).get(c.req.param("file"));
    if (body === undefined) {
      const empty = (await assets).size === 0;
      if (empty) assets = undefined; // built later (a dev run): look again next time
      return c.json(
        {
          error: {
            code: "not_found",
            message: empty
              ? "the console is not built: run npm run build"
              : `no console file ${c.req.param("file")}`,
          },
          requestId: c.get("requestId"),
        },
        404,
      );
    }
    return c.body(body, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
    });
  });
  return app;
}
