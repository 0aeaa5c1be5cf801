import { type InboundStatusData, STATUS_VALUES, type StatusValue } from "../events/inbound.js";
import { mapErrors } from "./map-common.js";
import { bool, compact, compactOrUndefined, idStr, isoFromUnix, type Json, obj, str } from "./read.js";

const STATUSES = new Set<string>(STATUS_VALUES);

export type MappedStatus =
  | { ok: true; data: InboundStatusData; user: string }
  | { ok: false; reason: string };

/** One `value.statuses[]` entry (contract §4). The user is the recipient's wa_id, else their BSUID. */
export function mapStatus(s: Json, phoneNumberId: string, receivedAt: string): MappedStatus {
  const wamid = str(s.id);
  if (!wamid) return { ok: false, reason: "status without id" };
  const status = str(s.status);
  if (!status || !STATUSES.has(status)) return { ok: false, reason: `unknown status "${String(s.status)}"` };
  const recipientId = idStr(s.recipient_id);
  const recipientUserId = str(s.recipient_user_id);
  const user = recipientId ?? recipientUserId;
  if (!user) return { ok: false, reason: "status without recipient_id or recipient_user_id" };
  const pricing = obj(s.pricing);
  const conversation = obj(s.conversation);
  const data: InboundStatusData = {
    wamid,
    phoneNumberId,
    status: status as StatusValue,
    recipientId,
    recipientUserId,
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
