import { type InboundStatusData, STATUS_VALUES, type StatusValue } from "../events/inbound.js";
import { mapErrors } from "./map-common.js";
import { bool, compact, compactOrUndefined, idStr, isoFromUnix, type Json, obj, str } from "./read.js";

const STATUSES = new Set<string>(STATUS_VALUES);

export type MappedStatus =
  | { ok: true; data: InboundStatusData; user: string }
  | { ok: false; reason: string };

/**
 * One `value.statuses[]` entry (docs/whatsapp-contract.md "Statuses"). The conversation is the recipient's (wa_id, else
 * BSUID); for a group send `recipient_id` is the group, so it is the group's. A status name Meta
 * added later is carried as `unknown` with its name, never dropped.
 */
export function mapStatus(s: Json, phoneNumberId: string, receivedAt: string): MappedStatus {
  const wamid = str(s.id);
  if (!wamid) return { ok: false, reason: "status without id" };
  const name = str(s.status);
  const known = name !== undefined && STATUSES.has(name) && name !== "unknown";
  const recipientId = idStr(s.recipient_id);
  const recipientType = str(s.recipient_type);
  const recipientUserId = str(s.recipient_user_id);
  const user = recipientId ?? recipientUserId;
  if (!user) return { ok: false, reason: "status without recipient_id or recipient_user_id" };
  const pricing = obj(s.pricing);
  const conversation = obj(s.conversation);
  const data: InboundStatusData = {
    wamid,
    phoneNumberId,
    status: known ? (name as StatusValue) : "unknown",
    statusName: known ? undefined : (name ?? idStr(s.status)),
    recipientId,
    recipientUserId,
    recipientType,
    groupId: recipientType === "group" ? recipientId : undefined,
    recipientParticipantId: str(s.recipient_participant_id) ?? str(s.recipient_participant_user_id),
    timestamp: isoFromUnix(s.timestamp) ?? receivedAt,
    errors: mapErrors(s.errors),
    pricing:
      pricing &&
      compactOrUndefined({
        billable: bool(pricing.billable),
        pricingModel: str(pricing.pricing_model),
        type: str(pricing.type),
        category: str(pricing.category),
      }),
    conversation:
      conversation &&
      compactOrUndefined({
        id: str(conversation.id),
        expirationTimestamp: idStr(conversation.expiration_timestamp),
        originType: str(obj(conversation.origin)?.type),
      }),
    bizOpaqueCallbackData: str(s.biz_opaque_callback_data),
    raw: s,
  };
  return { ok: true, data: compact(data), user };
}
