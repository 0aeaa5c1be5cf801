import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";
import { addLogFields } from "../observe.js";

/**
 * API keys of two kinds (ARCHITECTURE §7): `api` keys (API_KEYS) send and read; `admin` keys
 * (ADMIN_API_KEYS) manage integrations and may also use the send/read API.
 *
 * Answers: no or malformed `Authorization: Bearer` → 401; a key that is no key at all → 401 with
 * `error="invalid_token"` (RFC 6750 §3.1); a valid key of the wrong kind (an api key on an admin
 * route) → 403 `insufficient_scope`. Both 401s carry `WWW-Authenticate`.
 */
export type ApiKeyKind = "api" | "admin";

export interface ApiKeys {
  apiKeys: readonly string[];
  adminApiKeys: readonly string[];
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Equal strings, compared in constant time: both are hashed first, so lengths never leak either. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** True when `given` hashes to one of `digests`; every digest is compared, match or not. */
function matchesAny(given: Buffer, digests: readonly Buffer[]): boolean {
  let found = false;
  for (const d of digests) found = timingSafeEqual(given, d) || found;
  return found;
}

/** A short, stable, non-reversible name for a key: for log lines and rate-limit buckets. */
export const keyFingerprint = (key: string): string => digest(key).toString("hex").slice(0, 12);

/** The bearer token of a request, or undefined when the header is absent or not `Bearer <token>`. */
export function bearerToken(c: Context): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header("authorization") ?? "");
  return match?.[1];
}

const REALM = 'Bearer realm="flank"';

export function requireApiKey(keys: ApiKeys, kind: ApiKeyKind): MiddlewareHandler<GatewayEnv> {
  const admin = keys.adminApiKeys.map(digest);
  const api = keys.apiKeys.map(digest);
  return async (c, next) => {
    const token = bearerToken(c);
    if (token === undefined) {
      return c.json(errorBody(c, "unauthorized", "missing Authorization: Bearer <API key>"), 401, {
        "WWW-Authenticate": REALM,
      });
    }
    const d = digest(token);
    // Both lists are always checked so the time taken says nothing about which one matched.
    const isAdmin = matchesAny(d, admin);
    const isApi = matchesAny(d, api);
    if (!isAdmin && !isApi) {
      return c.json(errorBody(c, "unauthorized", "invalid API key"), 401, {
        "WWW-Authenticate": `${REALM}, error="invalid_token"`,
      });
    }
    if (kind === "admin" && !isAdmin) {
      return c.json(
        errorBody(c, "forbidden", "this API key cannot use the admin API; use an ADMIN_API_KEYS key"),
        403,
        {
          "WWW-Authenticate": `${REALM}, error="insufficient_scope"`,
        },
      );
    }
    const apiKeyId = keyFingerprint(token);
    c.set("apiKeyId", apiKeyId);
    addLogFields(c, { apiKeyId, keyKind: isAdmin ? "admin" : "api" });
    await next();
  };
}
