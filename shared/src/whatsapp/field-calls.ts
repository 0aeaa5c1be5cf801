import type { MetaError } from "../events/inbound.js";
import { genericField } from "./field-account.js";
import { valueErrors } from "./field-errors.js";
import { mapErrors } from "./map-common.js";
import type { ChangeMeta } from "./map-message.js";
import { compact, idStr, isoFromUnix, type Json, num, objs, str } from "./read.js";
import {
  changeMeta,
  conversationIdOf,
  emit,
  type FieldContext,
  type NormalizedWebhook,
  SYSTEM_USER,
} from "./webhook-out.js";

/**
 * `calls` (docs/whatsapp-contract.md "Other fields"): `calls[]` connect / terminate events and `statuses[]` of type `call`
 * (RINGING, ACCEPTED, REJECTED), each an `inbound.call` of the caller's conversation. The value's
 * `errors[]` belong to its calls and ride on each of them.
 */
export function callsField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  const errors = mapErrors(value.errors);
  const calls = objs(value.calls);
  for (const c of calls) mapCall(c, meta, errors, ctx, out);
  const statuses = objs(value.statuses);
  for (const s of statuses) mapCallStatus(s, meta, ctx, out, mapErrors(s.errors) ?? errors);
  // Errors without a call to ride on: an inbound.error naming the field.
  if (calls.length === 0 && statuses.length === 0) valueErrors(value.errors, meta.phoneNumberId, ctx, out);
}

/** The user's side of a call: the caller when the user called, else the callee. */
function userOf(c: Json, meta: ChangeMeta): string | undefined {
  const from = idStr(c.from) ?? str(c.from_user_id);
  const to = idStr(c.to) ?? str(c.to_user_id);
  const direction = str(c.direction);
  if (direction === "USER_INITIATED") return from;
  if (direction === "BUSINESS_INITIATED") return to;
  if (from && from !== meta.displayPhoneNumber) return from;
  return to ?? str(meta.contacts[0]?.wa_id) ?? str(meta.contacts[0]?.user_id);
}

function mapCall(
  c: Json,
  meta: ChangeMeta,
  errors: MetaError[] | undefined,
  ctx: FieldContext,
  out: NormalizedWebhook,
): void {
  const callId = str(c.id);
  if (!callId) {
    out.skipped.push({ kind: "item", reason: "call without id" });
    return;
  }
  const user = userOf(c, meta);
  const event = str(c.event) ?? "unknown";
  const status = str(c.status);
  const tenant = meta.phoneNumberId;
  const data = compact({
    phoneNumberId: tenant,
    callId,
    event,
    direction: str(c.direction),
    from: idStr(c.from),
    to: idStr(c.to),
    user,
    status,
    startTime: isoFromUnix(c.start_time),
    endTime: isoFromUnix(c.end_time),
    durationSeconds: num(c.duration),
    bizOpaqueCallbackData: str(c.biz_opaque_callback_data),
    errors,
    timestamp: isoFromUnix(c.timestamp) ?? ctx.receivedAt,
    raw: c,
  });
  const conversationId = conversationIdOf(tenant, user ?? SYSTEM_USER);
  emit(
    out,
    { type: "inbound.call", tenant, conversationId, data },
    `call:${callId}:${event}:${status ?? ""}`,
  );
}

/** A `statuses[]` entry of type `call` (it may also arrive on the `messages` field). */
export function mapCallStatus(
  s: Json,
  meta: ChangeMeta,
  ctx: FieldContext,
  out: NormalizedWebhook,
  errors = mapErrors(s.errors),
): void {
  const callId = str(s.id);
  if (!callId) {
    out.skipped.push({ kind: "status", reason: "call status without id" });
    return;
  }
  const user = idStr(s.recipient_id) ?? str(s.recipient_user_id);
  const status = str(s.status) ?? idStr(s.status);
  const tenant = meta.phoneNumberId;
  const data = compact({
    phoneNumberId: tenant,
    callId,
    event: "status",
    user,
    to: user,
    status,
    bizOpaqueCallbackData: str(s.biz_opaque_callback_data),
    errors,
    timestamp: isoFromUnix(s.timestamp) ?? ctx.receivedAt,
    raw: s,
  });
  const conversationId = conversationIdOf(tenant, user ?? SYSTEM_USER);
  emit(out, { type: "inbound.call", tenant, conversationId, data }, `call:${callId}:status:${status ?? ""}`);
}
