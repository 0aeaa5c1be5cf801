import { createHash, timingSafeEqual } from "node:crypto";
import type { Agent } from "@flank/shared/store";
import type { Context, MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";
import { addLogFields } from "../observe.js";

/**
 * API keys of three kinds (docs/architecture.md "HTTP surface"): `api` keys (API_KEYS) send and read; `admin` keys
 * (ADMIN_API_KEYS) manage integrations and agents and may use everything else; `agent` keys (one
 * per agent, issued by the admin API and stored hashed) use the agent API only, as their agent.
 *
 * Answers: no or malformed `Authorization: Bearer` → 401; a key that is no key at all → 401 with
 * `error="invalid_token"` (RFC 6750 §3.1); a valid key of the wrong kind (an api key on an admin
 * route, an agent key outside the agent API) → 403 `insufficient_scope`. Both 401s carry
 * `WWW-Authenticate`.
 */
export type ApiKeyKind = "api" | "admin" | "agent";

/** Who made the request: set by the key check for the routes (`c.get("principal")`). */
export type Principal =
  | { kind: "api" | "admin"; keyId: string }
  | { kind: "agent"; keyId: string; agent: Agent };

/** What a route needs: `admin` keys only; `api` (and admin) keys; or the `agents` API (all three). */
export type Scope = "api" | "admin" | "agents";

export interface ApiKeys {
  apiKeys: readonly string[];
  adminApiKeys: readonly string[];
  /** The enabled agent a key belongs to (agent keys); none when left out. */
  agentForKey?: (key: string) => Promise<Agent | undefined>;
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

const SCOPE_REFUSALS: Record<Scope, string> = {
  admin: "this API key cannot use the admin API; use an ADMIN_API_KEYS key",
  api: "agent keys can use the agent API (/v1/agents/…) only",
  agents: "",
};

/**
 * The key check. `scope` is fixed, or chosen per path (one middleware over every protected path).
 * The key is looked up once per request; a second check on the same request reuses the principal.
 */
export function requireApiKey(
  keys: ApiKeys,
  scope: Scope | ((path: string) => Scope),
): MiddlewareHandler<GatewayEnv> {
  const admin = keys.adminApiKeys.map(digest);
  const api = keys.apiKeys.map(digest);
  const scopeOf = typeof scope === "function" ? scope : () => scope;
  const identify = async (token: string): Promise<Principal | undefined> => {
    const d = digest(token);
    // Both lists are always checked so the time taken says nothing about which one matched.
    const isAdmin = matchesAny(d, admin);
    const isApi = matchesAny(d, api);
    const keyId = keyFingerprint(token);
    if (isAdmin) return { kind: "admin", keyId };
    if (isApi) return { kind: "api", keyId };
    const agent = await keys.agentForKey?.(token);
    return agent ? { kind: "agent", keyId, agent } : undefined;
  };
  return async (c, next) => {
    let principal = c.get("principal");
    if (!principal) {
      const token = bearerToken(c);
      if (token === undefined) {
        return c.json(errorBody(c, "unauthorized", "missing Authorization: Bearer <API key>"), 401, {
          "WWW-Authenticate": REALM,
        });
      }
      principal = await identify(token);
      if (!principal) {
        return c.json(errorBody(c, "unauthorized", "invalid API key"), 401, {
          "WWW-Authenticate": `${REALM}, error="invalid_token"`,
        });
      }
      c.set("principal", principal);
      addLogFields(c, {
        apiKeyId: principal.keyId,
        keyKind: principal.kind,
        ...(principal.kind === "agent" ? { agentId: principal.agent.id } : {}),
      });
    }
    const needed = scopeOf(c.req.path);
    if (!allows(principal.kind, needed)) {
      return c.json(errorBody(c, "forbidden", SCOPE_REFUSALS[needed]), 403, {
        "WWW-Authenticate": `${REALM}, error="insufficient_scope"`,
      });
    }
    c.set("apiKeyId", principal.keyId);
    await next();
  };
}

function allows(kind: ApiKeyKind, scope: Scope): boolean {
  if (kind === "admin") return true;
  if (scope === "admin") return false;
  return kind === "api" || scope === "agents";
}
