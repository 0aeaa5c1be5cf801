import { Hono } from "hono";
import type { GatewayEnv } from "../deps.js";
import { renderDocs } from "../docs-html.js";
import { buildOpenApi } from "../openapi.js";

/** `/openapi.json` and `/docs`, built once per app from the zod schemas. */
export function docsRoutes(): Hono<GatewayEnv> {
  const doc = buildOpenApi();
  const html = renderDocs(doc);
  const app = new Hono<GatewayEnv>();
  app.get("/openapi.json", (c) => c.json(doc, 200));
  app.get("/docs", (c) => c.html(html, 200));
  return app;
}
