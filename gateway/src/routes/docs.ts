import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { DOCS_PATH, OPENAPI_PATH } from "../api-paths.js";
import type { GatewayEnv } from "../deps.js";
import { routeOn } from "../mount-op.js";
import { buildOpenApi } from "../openapi.js";

/** The viewer's files, served from the gateway's own swagger-ui-dist dependency (no CDN). */
export const VIEWER_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
} as const;
/** The viewer's assets beside the page: not operations, so outside the route table. */
export const DOCS_ASSET_PATHS = [...Object.keys(ASSETS), "init.js"].map((f) => `${DOCS_PATH}/${f}`);

// Same-origin only: the CSP of DOCS_PATH (app.ts securityOptions) allows scripts, styles and
// fetches from this origin and nothing else; validatorUrl null keeps Swagger UI from calling out.
const INIT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayOperationId: true,
  defaultModelsExpandDepth: 0,
});
`;

const page = (title: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script>
</body></html>`;

/** `/openapi.json` and the viewer at `/docs`, the document built once per app from the route table. */
export function docsRoutes(dir = VIEWER_DIR): Hono<GatewayEnv> {
  const doc = buildOpenApi();
  const html = page("Flank gateway API");
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);
  const files = new Map<string, Promise<string>>();
  on("openapi", (c) => c.json(doc, 200));
  on("docs", (c) => c.html(html, 200));
  app.get(`${DOCS_PATH}/init.js`, (c) =>
    c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  for (const [name, type] of Object.entries(ASSETS)) {
    app.get(`${DOCS_PATH}/${name}`, async (c) => {
      if (!files.has(name)) files.set(name, readFile(join(dir, name), "utf8"));
      const body = await (files.get(name) as Promise<string>);
      return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=3600" });
    });
  }
  return app;
}
