import { SecretError } from "@flank/shared/crypto";
import { SIGNATURE_HEADER } from "@flank/shared/whatsapp";
import { type Context, Hono } from "hono";
import { WEBHOOK_PATHS } from "../api-paths.js";
import { readBody, WEBHOOK_BODY_LIMIT } from "../body.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { createWebhookIngest } from "../webhook-ingest.js";

export { WEBHOOK_PATHS };

/**
 * Meta's webhook (docs/whatsapp-contract.md "Rules for every webhook"), one per gateway for every tenant: GET verifies the subscription,
 * POST hands the bytes to the ingest (webhook-ingest.ts).
 */
export function webhookRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const { log, integrations } = ctx;
  const ingest = createWebhookIngest(ctx);

  const verify = async (c: Context<GatewayEnv>) => {
    // The raw names with dots (docs/whatsapp-contract.md "Verification"): hono keeps query names as sent.
    const mode = c.req.query("hub.mode");
    const token = c.req.query("hub.verify_token");
    const challenge = c.req.query("hub.challenge");
    if (mode === "subscribe" && token && challenge !== undefined && (await tokenMatches(token))) {
      return c.text(challenge, 200);
    }
    throw new ApiError("forbidden", "webhook verification failed");
  };

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

  const receive = async (c: Context<GatewayEnv>) => {
    const { answer, logFields } = await ingest({
      read: (lease) => readBody(c, WEBHOOK_BODY_LIMIT, lease),
      signature: c.req.header(SIGNATURE_HEADER),
      requestId: c.get("requestId"),
    });
    addLogFields(c, logFields);
    return c.json(answer, 200);
  };

  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);
  // One pair of operations per path (openapi.ts names them by the same suffixes).
  for (const suffix of ["", "Legacy", "Api"]) {
    on(`verifyWebhook${suffix}`, verify);
    on(`receiveWebhook${suffix}`, receive);
  }
  return app;
}
