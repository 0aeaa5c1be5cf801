import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { MiddlewareHandler } from "hono";

/** The header the page sends the run's token in (it reads the token from its URL's fragment). */
export const PLAYGROUND_TOKEN_HEADER = "x-playground-token";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** The host name of a Host header or an origin's host part ("[::1]:3001" → "::1"). */
function hostnameOf(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1]) return bracketed[1].toLowerCase();
  return host.replace(/:\d+$/, "").toLowerCase();
}

const isLoopback = (name: string) =>
  name === "localhost" || name === "::1" || (isIP(name) === 4 && name.startsWith("127."));

const refuse = (status: 401 | 403 | 415, message: string) =>
  new Response(JSON.stringify({ error: message }), {
    status,
    headers: { "content-type": "application/json" },
  });

/*
 * What stands between the playground and whoever can reach the port (a tunnel opened for Meta's
 * webhook, `--host`, a web page in a browser on this machine): sameOriginOnly on every route, the
 * page included, then requireToken on everything but the page.
 */

/**
 * Host must be loopback or one of `hosts` (the address given to `--host`): a DNS-rebound name
 * (evil.example resolving to 127.0.0.1) is refused, so a page of another site cannot become
 * same-origin with us. Origin, when sent, must be this same origin: cross-site calls are refused.
 */
export function sameOriginOnly(hosts: readonly string[] = []): MiddlewareHandler {
  const allowed = new Set(hosts.map(hostnameOf));
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    const name = hostnameOf(host);
    if (!isLoopback(name) && !allowed.has(name)) return refuse(403, `host ${name} is not allowed`);
    const origin = c.req.header("origin");
    if (origin !== undefined && originHost(origin) !== host.toLowerCase()) {
      return refuse(403, "cross-origin requests are refused");
    }
    return next();
  };
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined; // "null" (a sandboxed frame, a file: page) and junk
  }
}

/**
 * This run's token in a header, which a cross-site form or image cannot send and which the page
 * only has from the banner's link; POST bodies JSON only (no form or text/plain posts).
 */
export function requireToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const given = c.req.header(PLAYGROUND_TOKEN_HEADER);
    if (!given || !timingSafeEqual(digest(given), expected)) {
      return refuse(
        401,
        `missing or wrong ${PLAYGROUND_TOKEN_HEADER}: open the playground link printed at start`,
      );
    }
    if (c.req.method === "POST" && !/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
      return refuse(415, "the body must be JSON (Content-Type: application/json)");
    }
    return next();
  };
}
