import {
  type FlankEvent,
  FlankEvent as FlankEventSchema,
  InvalidEventError,
  normalizeWebhook,
  type PublishResult,
  SecretError,
  SIGNATURE_HEADER,
  verifySignature,
} from "@flank/shared";
import { type Context, Hono } from "hono";
import { readBody, WEBHOOK_BODY_LIMIT } from "../body.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { addLogFields } from "../observe.js";
import { parseJson } from "../validate.js";
import { MAX_NUMBERS_PER_WEBHOOK, scanPhoneNumberIds, unscannedNumbers } from "../webhook-tenants.js";
import { resolveTenants, secretForBatch, splitRouted, unroutedReason } from "./webhook-tenancy.js";

/** The webhook's three paths (ARCHITECTURE §7): Meta's, the legacy root one, and the versioned API one. */
export const WEBHOOK_PATHS = ["/webhook/whatsapp", "/webhook", "/api/v1/webhooks/whatsapp"] as const;

/**
 * Meta's webhook (contract §12), one per gateway for every tenant. POST does only what cannot
 * wait: read the bytes once, find the business numbers they name (a byte scan, see
 * webhook-tenants.ts), verify the signature with those numbers' app secret, parse, normalize,
 * drop what belongs to no enabled integration, and append the rest to the bus before the 200.
 */
export function webhookRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const { config, bus, log, metrics, integrations } = ctx;
  const globalSecret = config.whatsapp.appSecret;

  const verify = async (c: Context<GatewayEnv>) => {
    // The raw names with dots (contract §1): hono keeps query names as sent.
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
    const body = await readBody(c, WEBHOOK_BODY_LIMIT);
    const scan = scanPhoneNumberIds(body);
    if (!scan.ok) {
      metrics.signatureFailures.inc({ reason: scan.reason });
      throw new ApiError(
        "bad_request",
        `more than ${MAX_NUMBERS_PER_WEBHOOK} business numbers in one webhook`,
      );
    }
    const tenants = await resolveTenants(ctx, scan.ids, log.child({ requestId: c.get("requestId") }));
    const choice = secretForBatch(scan.ids, tenants, globalSecret);
    if (!choice.ok) {
      metrics.signatureFailures.inc({ reason: "mixed_secrets" });
      throw new ApiError(
        "signature_invalid",
        "the business numbers of this webhook have different app secrets",
      );
    }
    if (choice.secret !== undefined) {
      const check = verifySignature(body, c.req.header(SIGNATURE_HEADER), choice.secret);
      if (check !== "ok") {
        metrics.signatureFailures.inc({ reason: check });
        throw check === "missing"
          ? new ApiError("signature_missing", `missing ${SIGNATURE_HEADER} header`)
          : new ApiError("signature_invalid", `${SIGNATURE_HEADER} does not match the body`);
      }
    }
    const payload = parseJson(body);
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw new ApiError("invalid_json", "body is not a JSON object");
    }
    const normalized = normalizeWebhook(payload);
    // The secret was chosen from the scanned numbers: events of any other number are not covered by it.
    const hidden = unscannedNumbers(normalized.events, scan.ids);
    if (hidden.length > 0) {
      metrics.signatureFailures.inc({ reason: "number_mismatch" });
      log.warn(
        { requestId: c.get("requestId"), hidden },
        "webhook names numbers the signature does not cover",
      );
      throw new ApiError("signature_invalid", "phone_number_id must appear as a plain JSON string");
    }
    const { ignoredFields, skipped } = normalized;
    for (const field of ignoredFields) metrics.webhookIgnored.inc({ reason: `field:${field}` });
    for (const s of skipped) metrics.webhookIgnored.inc({ reason: `skipped:${s.kind}` });
    if (skipped.length > 0) log.warn({ requestId: c.get("requestId"), skipped }, "webhook items skipped");

    const { events, dedupKeys, unrouted } = splitRouted(normalized.events, normalized.dedupKeys, tenants);
    const dropped: Record<string, string> = {};
    for (const [number, count] of unrouted) {
      const reason = await unroutedReason(ctx, number);
      metrics.webhookUnrouted.inc({ reason }, count);
      dropped[number] = reason;
    }

    const result = events.length > 0 ? await publish(events, dedupKeys) : { published: [], duplicates: [] };
    for (const e of events) metrics.webhookEvents.inc({ topic: e.type, type: eventKind(e) });
    metrics.duplicatesDropped.inc(result.duplicates.length);
    const unroutedCount = normalized.events.length - events.length;
    addLogFields(c, {
      events: normalized.events.length,
      published: result.published.length,
      duplicates: result.duplicates.length,
      ignored: ignoredFields.length,
      ...(unroutedCount > 0 ? { unrouted: unroutedCount, unroutedNumbers: dropped } : {}),
    });
    return c.json(
      {
        received: normalized.events.length,
        duplicates: result.duplicates.length,
        ...(unroutedCount > 0 ? { unrouted: unroutedCount } : {}),
      },
      200,
    );
  };

  /** One append for the whole POST: durable before the 200, all or nothing, deduplicated by the bus. */
  const publish = async (events: FlankEvent[], dedupKeys: string[]): Promise<PublishResult> => {
    const end = metrics.publishLatency.startTimer();
    try {
      const result = await bus.publish(events, { dedupKeys });
      end({ outcome: "ok" });
      return result;
    } catch (err) {
      end({ outcome: "error" });
      if (err instanceof InvalidEventError) return publishValid(events, dedupKeys, err);
      log.error({ err }, "bus publish failed; answering 503 so Meta retries");
      throw new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
    }
  };

  /**
   * The normalizer let an invalid event through (a bug, not Meta's fault): redelivery would fail
   * the same way for 7 days, so publish the valid ones and log the rest instead of answering 5xx.
   */
  const publishValid = async (events: FlankEvent[], keys: string[], cause: InvalidEventError) => {
    const valid = events.flatMap((e, i) => (FlankEventSchema.safeParse(e).success ? [i] : []));
    log.error({ err: cause, dropped: events.length - valid.length }, "invalid webhook events dropped");
    if (valid.length === 0) return { published: [], duplicates: [] };
    try {
      return await bus.publish(
        valid.map((i) => events[i] as FlankEvent),
        { dedupKeys: valid.map((i) => keys[i]) },
      );
    } catch (err) {
      throw new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
    }
  };

  const app = new Hono<GatewayEnv>();
  for (const path of WEBHOOK_PATHS) {
    app.get(path, verify);
    app.post(path, receive);
  }
  return app;
}

/** Bounded label values: message type, status value, or "error". */
function eventKind(e: FlankEvent): string {
  if (e.type === "inbound.message") return e.data.type;
  if (e.type === "inbound.status") return e.data.status;
  return "error";
}
