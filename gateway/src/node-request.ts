import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/** The Node request under @hono/node-server; undefined under `app.request()` (tests). */
export const incomingOf = (c: Context): IncomingMessage | undefined =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/**
 * A request header (`name` in lower case), from Node's parsed headers when there are some:
 * `c.req.header()` first builds a web Headers of every header, which the webhook need not pay for.
 */
export function headerOf(c: Context, name: string): string | undefined {
  const headers = incomingOf(c)?.headers;
  if (!headers) return c.req.header(name);
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
