import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * Browser-facing hardening. API answers are JSON that nothing should render, frame or load
 * resources for, so the CSP allows nothing; the pages (the API viewer at /docs, the console) run
 * scripts and styles from this origin only. HSTS only in production, where the gateway is behind
 * TLS: sent over plain HTTP in development it would pin browsers to HTTPS on localhost.
 */
export interface SecurityHeaderOptions {
  production: boolean;
  /**
   * Path prefixes of sub-apps that serve their own pages (the embedded mode's playground, with its
   * inline script): every header but the CSP, which only the page itself can state correctly.
   */
  ownPolicyPrefixes?: readonly string[];
  /** Path prefixes of pages built from same-origin assets (/docs, the console): scripts, styles and calls to self only. */
  appPaths?: readonly string[];
}

/** Header name → value, computed once: the webhook answers with it as it is (routes/webhook.ts). */
export type HeaderRecord = Readonly<Record<string, string>>;

/**
 * Hono's secureHeaders defaults, with frames denied, as a fixed table: the gateway sets the same
 * headers on every answer, and a table can also be handed to a Response whole.
 */
const COMMON: HeaderRecord = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-DNS-Prefetch-Control": "off",
  "X-Download-Options": "noopen",
  "X-Frame-Options": "DENY",
  "X-Permitted-Cross-Domain-Policies": "none",
  "X-XSS-Protection": "0",
};
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const withHsts = (headers: HeaderRecord, production: boolean): HeaderRecord =>
  Object.freeze(
    production ? { ...headers, "Strict-Transport-Security": "max-age=31536000; includeSubDomains" } : headers,
  );

/** The headers of an API answer (JSON or text: the webhook's, health, the API's). */
export const apiHeaders = (production: boolean): HeaderRecord =>
  withHsts({ ...COMMON, "Content-Security-Policy": API_CSP }, production);

export function securityHeaders(opts: SecurityHeaderOptions): MiddlewareHandler {
  const api = Object.entries(apiHeaders(opts.production));
  const app = Object.entries(withHsts({ ...COMMON, "Content-Security-Policy": APP_CSP }, opts.production));
  const own = Object.entries(withHsts(COMMON, opts.production));
  // A root mount ("/") would exempt everything: it keeps the API policy instead.
  const prefixes = (opts.ownPolicyPrefixes ?? []).map((p) => p.replace(/\/+$/, "")).filter((p) => p !== "");
  const under = (list: readonly string[], path: string) =>
    list.some((p) => path === p || path.startsWith(`${p}/`));
  const appPaths = opts.appPaths ?? [];
  return async (c, next) => {
    await next();
    const path = c.req.path;
    const headers = under(appPaths, path) ? app : under(prefixes, path) ? own : api;
    for (const [name, value] of headers) c.res.headers.set(name, value);
  };
}

/**
 * CORS for browser clients, off (no CORS headers at all, so browsers refuse cross-origin calls)
 * unless CORS_ORIGINS lists origins. Mount it before the API-key check: preflights carry no key.
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler {
  if (origins.length === 0) return (_c, next) => next();
  return cors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
    exposeHeaders: ["Retry-After", "X-Request-Id"],
    maxAge: 600,
  });
}
