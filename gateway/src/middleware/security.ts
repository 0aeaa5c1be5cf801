import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";

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

const NONE = ["'none'"];
const common = {
  xContentTypeOptions: "nosniff",
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-origin",
  xXssProtection: "0",
} as const;

export function securityHeaders(opts: SecurityHeaderOptions): MiddlewareHandler {
  const hsts = opts.production ? "max-age=31536000; includeSubDomains" : false;
  const api = secureHeaders({
    ...common,
    strictTransportSecurity: hsts,
    contentSecurityPolicy: { defaultSrc: NONE, frameAncestors: NONE, baseUri: NONE, formAction: NONE },
  });
  const app = secureHeaders({
    ...common,
    strictTransportSecurity: hsts,
    contentSecurityPolicy: {
      defaultSrc: NONE,
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["data:"],
      frameAncestors: NONE,
      baseUri: NONE,
      formAction: NONE,
    },
  });
  const own = secureHeaders({ ...common, strictTransportSecurity: hsts });
  // A root mount ("/") would exempt everything: it keeps the API policy instead.
  const prefixes = (opts.ownPolicyPrefixes ?? []).map((p) => p.replace(/\/+$/, "")).filter((p) => p !== "");
  const under = (list: readonly string[], path: string) =>
    list.some((p) => path === p || path.startsWith(`${p}/`));
  const isOwn = (path: string) => under(prefixes, path);
  const appPaths = opts.appPaths ?? [];
  return (c, next) => {
    if (under(appPaths, c.req.path)) return app(c, next);
    return isOwn(c.req.path) ? own(c, next) : api(c, next);
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
