import { SecretError } from "@flank/shared/crypto";
import { SIGNATURE_HEADER } from "@flank/shared/whatsapp";
import { type Context, Hono } from "hono";
import { routePath } from "hono/route";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { WEBHOOK_PATHS } from "../api-paths.js";
import { readBody, WEBHOOK_BODY_LIMIT } from "../body.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError, answerError } from "../errors.js";
import { apiHeaders } from "../middleware/security.js";
import { routeOn } from "../mount-op.js";
import { headerOf } from "../node-request.js";
import { addLogFields, requestRecorder } from "../observe.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../request-id.js";
import { createWebhookIngest } from "../webhook-ingest.js";

/** The request id header as Node keys its parsed headers (lower case). */
const REQUEST_ID_KEY = REQUEST_ID_HEADER.toLowerCase();

export { WEBHOOK_PATHS };

/** An answer before it is a Response. */
interface Answer {
  status: ContentfulStatusCode;
  body: string;
  type: "application/json" | "text/plain; charset=UTF-8";
  retryAfter?: string;
}

/**
 * Meta's webhook (docs/whatsapp-contract.md "Rules for every webhook"), one per gateway for every
 * tenant: GET verifies the subscription, POST hands the bytes to the ingest (webhook-ingest.ts).
 *
 * It answers on its own, before the app's middleware (app.ts mounts it first): the same request
 * id, security headers, metric and log line, but with the headers as one precomputed record
 * instead of a web Headers built, filled and sorted per answer, which was about a fifth of a
 * webhook's CPU (docs/benchmarks.md "Ingest").
 */
export function webhookRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const { log, integrations } = ctx;
  const ingest = createWebhookIngest(ctx);
  const headers = apiHeaders(ctx.config.env === "production");
  const record = requestRecorder(ctx);

  const answering =
    (handle: (c: Context<GatewayEnv>, requestId: string) => Promise<Answer>) =>
    async (c: Context<GatewayEnv>) => {
      const started = performance.now();
      const requestId = requestIdOf(headerOf(c, REQUEST_ID_KEY));
      c.set("requestId", requestId);
      let answer: Answer;
      try {
        answer = await handle(c, requestId);
      } catch (err) {
        const { status, body, retryAfter } = answerError(err, requestId, log, c.req.path);
        answer = { status, body: JSON.stringify(body), type: "application/json", retryAfter };
      }
      record(c, routePath(c), answer.status, started);
      const own: Record<string, string> = {
        ...headers,
        "Content-Type": answer.type,
        [REQUEST_ID_HEADER]: requestId,
      };
      if (answer.retryAfter !== undefined) own["Retry-After"] = answer.retryAfter;
      return new Response(answer.body, { status: answer.status, headers: own });
    };

  const verify = answering(async (c) => {
    // The raw names with dots (docs/whatsapp-contract.md "Verification"): hono keeps query names as sent.
    const mode = c.req.query("hub.mode");
    const token = c.req.query("hub.verify_token");
    const challenge = c.req.query("hub.challenge");
    if (mode === "subscribe" && token && challenge !== undefined && (await tokenMatches(token))) {
      return { status: 200, body: challenge, type: "text/plain; charset=UTF-8" };
    }
    throw new ApiError("forbidden", "webhook verification failed");
  });

  /** An enabled integration's verify token, or VERIFY_TOKEN (compared in constant time by the service). */
  const tokenMatches = async (token: string): Promise<boolean> => {
    try {
      return (await integrations.resolveByVerifyToken(token)) !== undefined;
    } catch (err) {
      if (err instanceof SecretError) {
        log.error({ alert: true, err }, "integration secrets cannot be decrypted: check ENCRYPTION_KEY");
        throw new ApiError("not_configured", "integration unavailable; retry later", undefined, err);
      }
      throw new ApiError("not_ready", "integrations unavailable; retry later", undefined, err);
    }
  };

  const receive = answering(async (c, requestId) => {
    const { answer, logFields } = await ingest({
      read: (lease) => readBody(c, WEBHOOK_BODY_LIMIT, lease),
      signature: headerOf(c, SIGNATURE_HEADER),
      requestId,
    });
    addLogFields(c, logFields);
    return { status: 200, body: JSON.stringify(answer), type: "application/json" };
  });

  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);
  // One pair of operations per path (openapi.ts names them by the same suffixes).
  for (const suffix of ["", "Legacy", "Api"]) {
    on(`verifyWebhook${suffix}`, verify);
    on(`receiveWebhook${suffix}`, receive);
  }
  return app;
}
