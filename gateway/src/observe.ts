import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { GatewayContext, GatewayEnv } from "./deps.js";

const QUIET = new Set(["/healthz", "/readyz", "/metrics"]);

/** Records one finished request: its metric sample and its log line. */
export type RequestRecorder = (
  requestId: string,
  method: string,
  route: string,
  status: number,
  /** performance.now() when the request arrived. */
  started: number,
  fields: Record<string, unknown> | undefined,
) => void;

/**
 * One log line and one metric sample per request, labelled by the matched route:
 * shared by the Hono middleware and the webhook fast path, so both record requests alike.
 */
export function requestRecorder({ log, metrics }: Pick<GatewayContext, "log" | "metrics">): RequestRecorder {
  return (requestId, method, route, status, started, fields) => {
    metrics.httpRequests.inc({ method, route, status: String(status) });
    const level = status >= 500 ? "error" : QUIET.has(route) ? "debug" : "info";
    // Under load the level is often warn: then no line is built at all.
    if (!log.isLevelEnabled(level)) return;
    const line = {
      requestId,
      method,
      route,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...fields,
    };
    log[level](line, level === "error" ? "request failed" : "request");
  };
}

export function observe(ctx: GatewayContext): MiddlewareHandler<GatewayEnv> {
  const record = requestRecorder(ctx);
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "(unmatched)";
    record(c.get("requestId"), c.req.method, route, c.res.status, started, c.get("logFields"));
  };
}

/** Adds fields to the request's log line, keeping those set earlier (the API key's id, say). */
export function addLogFields(c: Context<GatewayEnv>, fields: Record<string, unknown>): void {
  c.set("logFields", { ...c.get("logFields"), ...fields });
}
