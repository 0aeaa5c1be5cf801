import {
  createEvent,
  type EventOf,
  InvalidEventError,
  newId,
  type OutboundRequestData,
  outboundText,
} from "@flank/shared/contract";
import type { StoredMessage } from "@flank/shared/store";
import type { GatewayContext } from "./deps.js";
import { ApiError } from "./errors.js";

export type OutboundInput = Omit<OutboundRequestData, "idempotencyKey" | "source"> & {
  phoneNumberId?: string;
};

/** A phone number or wa_id as the conversation's user key: digits only, no +. */
export const userKey = (number: string): string => number.replace(/[^\d]/g, "");

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The `Idempotency-Key` header, or a new ULID. */
export function idempotencyKeyOf(header: string | undefined): string {
  if (header === undefined) return newId();
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new ApiError("bad_request", "Idempotency-Key must be 1 to 200 visible ASCII characters");
  }
  return header;
}

/**
 * Publishes an outbound.request for the sender and records the message as queued, so
 * `GET /v1/messages/:id` knows it at once. The sender's ledger makes a repeated idempotency key
 * republish the first result instead of sending twice.
 */
export async function submitOutbound(
  ctx: GatewayContext,
  input: OutboundInput,
  idempotencyKey: string,
  source: OutboundRequestData["source"],
): Promise<EventOf<"outbound.request">> {
  const tenant = input.phoneNumberId ?? ctx.config.whatsapp.phoneNumberId;
  if (!tenant) {
    throw new ApiError("bad_request", "no sending number: pass phoneNumberId or set PHONE_NUMBER_ID");
  }
  const { phoneNumberId: _pnid, ...request } = input;
  const event = createEvent({
    type: "outbound.request",
    tenant,
    conversationId: await conversationOf(ctx, tenant, request),
    data: { ...request, idempotencyKey, source },
  });
  await publishOutbound(ctx, event);
  return event;
}

/**
 * Publishes an outbound.request (a bad event → 400, a bus failure → 503) and records the message
 * as queued, so the history shows it before the sender has sent it.
 */
export async function publishOutbound(
  ctx: Pick<GatewayContext, "bus" | "stores" | "log">,
  event: EventOf<"outbound.request">,
): Promise<void> {
  try {
    await ctx.bus.publish(event);
  } catch (err) {
    if (err instanceof InvalidEventError) throw new ApiError("validation_failed", err.message);
    ctx.log.error({ err }, "outbound publish failed");
    throw new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
  }
  await recordQueued(ctx, event);
}

/** The recipient as the conversation's user key: a group id as is, a number as digits, else the BSUID. */
const recipientKey = (r: Pick<OutboundRequestData, "to" | "recipient" | "recipientType">): string => {
  // `to` wins over `recipient` when both are given (docs/whatsapp-contract.md "Identity").
  if (r.to) return r.recipientType === "group" ? r.to : userKey(r.to);
  return r.recipient ?? "";
};

/**
 * The conversation a send belongs to: the one the users store remembers for this person (a new
 * number or a BSUID keeps the conversation it was first seen in, router/src/identity.ts), so the
 * 24-hour window and the reply order are those of that conversation; else `${tenant}:${user}`.
 */
async function conversationOf(
  ctx: GatewayContext,
  tenant: string,
  request: Pick<OutboundRequestData, "to" | "recipient" | "recipientType">,
): Promise<string> {
  const user = recipientKey(request);
  if (request.recipientType === "group" || !user) return `${tenant}:${user}`;
  const key = request.to ? { waId: user } : { userId: user };
  const known = await ctx.stores.users.find(tenant, key).catch((err: unknown) => {
    ctx.log.warn({ err }, "users store unavailable: conversation taken from the recipient");
    return undefined;
  });
  return known?.conversationId ?? `${tenant}:${user}`;
}

async function recordQueued(
  ctx: Pick<GatewayContext, "stores" | "log">,
  event: EventOf<"outbound.request">,
): Promise<void> {
  const { data } = event;
  const message: StoredMessage = {
    id: data.idempotencyKey,
    conversationId: event.conversationId,
    tenant: event.tenant,
    direction: "outbound",
    from: event.tenant,
    to: recipientKey(data),
    type: data.message.type,
    body: outboundText(data.message),
    timestamp: event.ts,
    status: "queued",
    statuses: [],
    raw: data,
  };
  if (message.body === undefined) delete message.body;
  // Best effort: the request is already durable on the bus; the sender records the outcome.
  await ctx.stores.messages
    .insert(message)
    .catch((err) => ctx.log.warn({ err }, "could not record queued message"));
}
