import type { PublishResult } from "@flank/shared/bus";
import { type FlankEvent, FlankEvent as FlankEventSchema, InvalidEventError } from "@flank/shared/contract";
import { normalizeWebhook, SIGNATURE_HEADER, verifySignature } from "@flank/shared/whatsapp";
import type { BodyLease } from "./body.js";
import type { GatewayContext } from "./deps.js";
import { ApiError } from "./errors.js";
import { resolveTenants, secretForBatch, splitRouted } from "./routes/webhook-tenancy.js";
import { parseJson } from "./validate.js";
import { MAX_NUMBERS_PER_WEBHOOK, scanPhoneNumberIds, unscannedNumbers } from "./webhook-tenants.js";

/** A webhook POST as the ingest needs it, whichever HTTP layer read it. */
export interface IngestRequest {
  /**
   * Reads the exact bytes received (the signature covers them), counting them on the lease: the
   * ingest holds the lease, from the first byte until the events are on the bus.
   */
  read(lease: BodyLease): Promise<Buffer>;
  /** X-Hub-Signature-256 as received. */
  signature: string | undefined;
  requestId: string;
}

export interface IngestAnswer {
  received: number;
  duplicates: number;
  unrouted?: number;
}

export interface IngestResult {
  /** The 200's JSON body. */
  answer: IngestAnswer;
  /** Fields for the request's one log line. */
  logFields: Record<string, unknown>;
}

/** Ingests one webhook POST; refusals are thrown as ApiError. */
export type WebhookIngest = (req: IngestRequest) => Promise<IngestResult>;

const PUBLISHED = Object.freeze({ outcome: "ok" as const });
const FAILED = Object.freeze({ outcome: "error" as const });
const nothingPublished = (): PublishResult => ({ published: [], duplicates: [] });
/** A 503, so Meta retries the POST later. */
const busUnavailable = (err: unknown) =>
  new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);

/**
 * Meta's webhook POST without HTTP (docs/whatsapp-contract.md "Rules for every webhook"), for the Hono route. It does only what cannot wait: find the business numbers the bytes name (a byte scan,
 * see webhook-tenants.ts), verify the signature with those numbers' app secret, parse, normalize,
 * drop what belongs to no enabled integration, and append the rest to the bus before the 200.
 */
export function createWebhookIngest(ctx: GatewayContext): WebhookIngest {
  const { config, bus, log, metrics, bodies } = ctx;
  const globalSecret = config.whatsapp.appSecret;

  /** One append for the whole POST: durable before the 200, all or nothing, deduplicated by the bus. */
  const publish = async (events: FlankEvent[], dedupKeys: string[]): Promise<PublishResult> => {
    // Not startTimer(): it allocates a closure and merges label objects on every POST.
    const started = performance.now();
    try {
      const result = await bus.publish(events, { dedupKeys });
      metrics.publishLatency.observe(PUBLISHED, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      metrics.publishLatency.observe(FAILED, (performance.now() - started) / 1000);
      if (err instanceof InvalidEventError) return publishValid(events, dedupKeys, err);
      log.error({ err }, "bus publish failed; answering 503 so Meta retries");
      throw busUnavailable(err);
    }
  };

  /**
   * The normalizer let an invalid event through (a bug, not Meta's fault): redelivery would fail
   * the same way for 7 days, so publish the valid ones and log the rest instead of answering 5xx.
   */
  const publishValid = async (events: FlankEvent[], keys: string[], cause: InvalidEventError) => {
    const valid = events.flatMap((e, i) => (FlankEventSchema.safeParse(e).success ? [i] : []));
    log.error({ err: cause, dropped: events.length - valid.length }, "invalid webhook events dropped");
    if (valid.length === 0) return nothingPublished();
    try {
      return await bus.publish(
        valid.map((i) => events[i] as FlankEvent),
        { dedupKeys: valid.map((i) => keys[i]) },
      );
    } catch (err) {
      throw busUnavailable(err);
    }
  };

  return async ({ read, signature, requestId }) => {
    const lease = bodies.lease();
    try {
      // Two steps, so the bytes are unreachable once parsed (only the parsed payload is published).
      return await publishNormalized(await authenticate(await read(lease), signature, requestId), requestId);
    } finally {
      lease.release();
    }
  };

  /** The signed body's tenants and normalized events; throws the refusals. */
  async function authenticate(body: Buffer, signature: string | undefined, requestId: string) {
    const scan = scanPhoneNumberIds(body);
    if (!scan.ok) {
      metrics.signatureFailures.inc({ reason: scan.reason });
      throw new ApiError(
        "bad_request",
        `more than ${MAX_NUMBERS_PER_WEBHOOK} business numbers in one webhook`,
      );
    }
    const tenants = await resolveTenants(ctx, scan.ids, requestId);
    const choice = secretForBatch(scan.ids, tenants, globalSecret);
    if (!choice.ok) {
      metrics.signatureFailures.inc({ reason: "mixed_secrets" });
      throw new ApiError(
        "signature_invalid",
        "the business numbers of this webhook have different app secrets",
      );
    }
    if (choice.secret !== undefined) {
      const check = verifySignature(body, signature, choice.secret);
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
      log.warn({ requestId, hidden }, "webhook names numbers the signature does not cover");
      throw new ApiError("signature_invalid", "phone_number_id must appear as a plain JSON string");
    }
    return { normalized, tenants };
  }

  async function publishNormalized(
    { normalized, tenants }: Awaited<ReturnType<typeof authenticate>>,
    requestId: string,
  ): Promise<IngestResult> {
    const { unknownFields, skipped } = normalized;
    for (const field of unknownFields) metrics.webhookUnknownFields.inc({ field: fieldLabel(field) });
    if (unknownFields.length > 0)
      log.info({ requestId, fields: unknownFields }, "unknown webhook fields published");
    for (const s of skipped) metrics.webhookIgnored.inc({ reason: `skipped:${s.kind}` });
    if (skipped.length > 0) log.warn({ requestId, skipped }, "webhook items skipped");

    const { events, dedupKeys, unrouted } = splitRouted(normalized.events, normalized.dedupKeys, tenants);
    const dropped: Record<string, string> = {};
    for (const [number, { reason, count }] of unrouted) {
      metrics.webhookUnrouted.inc({ reason }, count);
      dropped[number] = reason;
    }

    const result = events.length > 0 ? await publish(events, dedupKeys) : nothingPublished();
    for (const e of events) metrics.webhookEvents.inc({ topic: e.type, type: eventKind(e) });
    const received = normalized.events.length;
    const duplicates = result.duplicates.length;
    if (duplicates > 0) metrics.duplicatesDropped.inc(duplicates);
    const logFields = {
      events: received,
      published: result.published.length,
      duplicates,
      unknownFields: unknownFields.length,
    };
    const unroutedCount = received - events.length;
    if (unroutedCount === 0) return { answer: { received, duplicates }, logFields };
    return {
      answer: { received, duplicates, unrouted: unroutedCount },
      logFields: { ...logFields, unrouted: unroutedCount, unroutedNumbers: dropped },
    };
  }
}

/** Bounded label values: message type, status value, the field of account-level events, or the topic. */
function eventKind(e: FlankEvent): string {
  switch (e.type) {
    case "inbound.message":
    case "inbound.echo":
    case "inbound.history":
      return e.data.type;
    case "inbound.status":
      return e.data.status;
    case "inbound.error":
      return "error";
    case "template.update":
    case "account.update":
    case "inbound.group":
    case "inbound.handover":
      return fieldLabel(e.data.field);
    default:
      return e.type;
  }
}

/** A field name as a label: Meta's names are short snake_case; anything else is folded into one value. */
const fieldLabel = (field: string): string => (/^[a-z_]{1,64}$/.test(field) ? field : "other");
