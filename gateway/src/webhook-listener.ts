import type { IncomingMessage, ServerResponse } from "node:http";
import { newId, SIGNATURE_HEADER } from "@flank/shared";
import type { Logger } from "pino";
import { type AppOptions, securityOptions } from "./app.js";
import { readIncoming, WEBHOOK_BODY_LIMIT } from "./body.js";
import type { GatewayContext } from "./deps.js";
import { errorAnswer } from "./errors.js";
import { securityHeadersFor } from "./middleware/security.js";
import { type RequestRecorder, requestRecorder } from "./observe.js";
import { WEBHOOK_PATHS } from "./routes/webhook.js";
import { createWebhookIngest, type WebhookIngest } from "./webhook-ingest.js";

/** Answers the request and returns true, or returns false and leaves it to the next listener. */
export type WebhookListener = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface WebhookListenerDeps {
  ingest: WebhookIngest;
  record: RequestRecorder;
  log: Logger;
  /** The paths to claim, each with the fixed headers of its answers (flat name, value pairs). */
  paths: ReadonlyMap<string, readonly string[]>;
}

// What @hono/node-server takes as it is, without building a URL that could refuse it (its own
// checks): any other Host or request target is left to it, so it answers as it always does.
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;

/** hono's requestId middleware: a sent X-Request-Id of up to 255 word characters, `-` or `=` is kept. */
const INVALID_ID = /[^\w\-=]/;
const requestIdOf = (sent: string | undefined): string =>
  sent && sent.length <= 255 && !INVALID_ID.test(sent) ? sent : newId();

/** What a refused body may still send (as @hono/node-server drains it) before the connection is cut. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * The webhook POST on plain node:http: the hot path of ingest, where Hono's web Request, Response
 * and Headers objects and its middleware chain cost about a quarter of the CPU. Answers exactly as
 * the Hono route does (same ingest, error answers, security headers, request id, metric and log
 * line); every other request is left to Hono.
 */
export function webhookListener({ ingest, record, log, paths }: WebhookListenerDeps): WebhookListener {
  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    headers: readonly string[],
  ) => {
    const started = performance.now();
    const requestId = requestIdOf(req.headers["x-request-id"] as string | undefined);
    let status = 200;
    let json: string;
    let fields: Record<string, unknown> | undefined;
    let retryAfter: string | undefined;
    try {
      const result = await ingest({
        read: (lease) => readIncoming(req, WEBHOOK_BODY_LIMIT, lease),
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        requestId,
      });
      json = JSON.stringify(result.answer);
      fields = result.logFields;
    } catch (err) {
      const refused = errorAnswer(err, requestId);
      if (refused.unexpected) log.error({ err, requestId, path: route }, "unhandled error");
      status = refused.status;
      json = JSON.stringify(refused.body);
      retryAfter = refused.retryAfter;
    }
    res.writeHead(status, [
      ...headers,
      ...(retryAfter ? ["retry-after", retryAfter] : []),
      "x-request-id",
      requestId,
      "content-length",
      `${Buffer.byteLength(json)}`,
    ]);
    res.end(json);
    discardRest(req);
    record(requestId, "POST", route, status, started, fields);
  };
  const failed = (err: unknown) => log.error({ err }, "webhook fast path failed");

  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const route = query === -1 ? url : url.slice(0, query);
    const headers = paths.get(route);
    if (headers === undefined) return false;
    const host = req.headers.host;
    if (host === undefined || !PLAIN_HOST.test(host)) return false;
    if (query !== -1 && (!PLAIN_TARGET.test(url) || DOT_SEGMENT.test(url))) return false;
    serve(req, res, route, headers).catch(failed);
    return true;
  };
}

/** Reads on what is left of a refused body, so the connection stays usable; past the limit it is cut. */
function discardRest(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  let left = DISCARD_LIMIT;
  req.on("data", (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) req.destroy();
  });
  req.resume();
}

/**
 * The fast path over the gateway's context, claiming the webhook paths with the headers the
 * security policy gives them. A path under a mounted sub-app is left to Hono, which routes it there.
 */
export async function createWebhookListener(
  ctx: GatewayContext,
  mounts: AppOptions["mount"] = [],
): Promise<WebhookListener> {
  const security = securityOptions(ctx.config, mounts);
  const mounted = (path: string) =>
    mounts.some((m) => path === m.path || path.startsWith(`${m.path.replace(/\/+$/, "")}/`));
  const paths = new Map<string, string[]>();
  for (const path of WEBHOOK_PATHS) {
    if (mounted(path)) continue;
    const headers = (await securityHeadersFor(security, path)).flat();
    paths.set(path, [...headers, "content-type", "application/json"]);
  }
  return webhookListener({
    ingest: createWebhookIngest(ctx),
    record: requestRecorder(ctx),
    log: ctx.log,
    paths,
  });
}
