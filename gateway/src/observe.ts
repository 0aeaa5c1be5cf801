import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { GatewayContext, GatewayEnv } from "./deps.js";

const QUIET = new Set(["/healthz", "/readyz", "/metrics"]);

/** Records an answered request: its metric sample and its log line. */
export type RequestRecorder = (
  c: Context<GatewayEnv>,
  route: string,
  status: number,
  started: number,
) => void;

export function requestRecorder({ log, metrics }: Pick<GatewayContext, "log" | "metrics">): RequestRecorder {
  return (c, route, status, started) => {
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    const level = status >= 500 ? "error" : QUIET.has(route) ? "debug" : "info";
    // Under load the level is often warn: then no line is built at all.
    if (!log.isLevelEnabled(level)) return;
    const line = {
      requestId: c.get("requestId"),
      method: c.req.method,
      route,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...c.get("logFields"),
    };
    log[level](line, level === "error" ? "request failed" : "request");
  };
}

/** One log line and one metric sample per request, labelled by the matched route. */
export function observe(deps: Pick<GatewayContext, "log" | "metrics">): MiddlewareHandler<GatewayEnv> {
  const record = requestRecorder(deps);
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "(unmatched)";
    record(c, route, c.res.status, started);
  };
}

/** Adds fields to the request's log line, keeping those set earlier (the API key's id, say). */
export function addLogFields(c: Context<GatewayEnv>, fields: Record<string, unknown>): void {
  c.set("logFields", { ...c.get("logFields"), ...fields });
}
