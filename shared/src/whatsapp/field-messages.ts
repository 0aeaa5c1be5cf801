import { mapCallStatus } from "./field-calls.js";
import { valueErrors } from "./field-errors.js";
import { mapMessage } from "./map-message.js";
import { mapStatus } from "./map-status.js";
import { type Json, objs } from "./read.js";
import {
  changeMeta,
  conversationIdOf,
  emit,
  type FieldContext,
  type NormalizedWebhook,
} from "./webhook-out.js";

/**
 * `messages`: user messages (`inbound.message`), statuses of what the business sent
 * (`inbound.status`; call statuses go to `inbound.call`) and value-level errors (`inbound.error`),
 * each handled independently (docs/whatsapp-contract.md "Rules for every webhook").
 */
export function messagesField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  const messages = objs(value.messages);
  const statuses = objs(value.statuses);
  if (!meta && (messages.length > 0 || statuses.length > 0)) {
    out.skipped.push({ kind: "change", reason: "messages change without metadata.phone_number_id" });
  }
  if (meta) {
    const tenant = meta.phoneNumberId;
    for (const m of messages) {
      const mapped = mapMessage(m, meta, ctx.receivedAt);
      if (!mapped.ok) {
        out.skipped.push({ kind: "message", reason: mapped.reason });
        continue;
      }
      const conversationId = conversationIdOf(tenant, mapped.user);
      emit(out, { type: "inbound.message", tenant, conversationId, data: mapped.data }, mapped.data.wamid);
    }
    for (const s of statuses) {
      if (s.type === "call") {
        mapCallStatus(s, meta, ctx, out);
        continue;
      }
      const mapped = mapStatus(s, tenant, ctx.receivedAt);
      if (!mapped.ok) {
        out.skipped.push({ kind: "status", reason: mapped.reason });
        continue;
      }
      const { data } = mapped;
      const conversationId = conversationIdOf(tenant, mapped.user);
      emit(
        out,
        { type: "inbound.status", tenant, conversationId, data },
        `${data.wamid}:${data.statusName ?? data.status}`,
      );
    }
  }
  valueErrors(value.errors, meta?.phoneNumberId, ctx, out);
}
