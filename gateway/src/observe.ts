import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { GatewayContext, GatewayEnv } from "./deps.js";

const QUIET = new Set(["/healthz", "/readyz", "/metrics"]);

/** One log line and one metric sample per request (CONVENTIONS 13), labelled by the matched route. */
export function observe(ctx: GatewayContext): MiddlewareHandler<GatewayEnv> {
  const { log, metrics } = ctx;
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "(unmatched)";
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      route,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...c.get("logFields"),
    };
    if (status >= 500) log.error(line, "request failed");
    else if (QUIET.has(route)) log.debug(line, "request");
    else log.info(line, "request");
  };
}

/** Adds fields to the request's log line, keeping those set earlier (the API key's id, say). */
export function addLogFields(c: Context<GatewayEnv>, fields: Record<string, unknown>): void {
  c.set("logFields", { ...c.get("logFields"), ...fields });
}
