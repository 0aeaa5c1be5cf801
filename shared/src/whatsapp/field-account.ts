import { compact, idStr, isoFromUnix, type Json, obj, str } from "./read.js";
import {
  conversationIdOf,
  emit,
  type FieldContext,
  hashOf,
  type NormalizedWebhook,
  SYSTEM_USER,
  tenantOf,
  UNATTRIBUTED_TENANT,
} from "./webhook-out.js";

/**
 * Fields about the account rather than a chat: template updates, account and number notices,
 * Meta's AI agent handovers, and fields Flank does not know. They belong to the number when the
 * value names one, else to no tenant (UNATTRIBUTED_TENANT, the WABA in `data.wabaId`), and to no
 * user (`<tenant>:system`). Meta gives them no id:
 * the field and value are the dedup key.
 */
const keyOf = (prefix: string, ctx: FieldContext, value: unknown) =>
  `${prefix}:${hashOf([ctx.wabaId, ctx.field, value])}`;

/** message_template_status_update, _quality_update, _components_update, template_category_update. */
export function templateField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const { tenant } = tenantOf(value);
  const data = compact({
    field: ctx.field,
    wabaId: ctx.wabaId ?? UNATTRIBUTED_TENANT,
    templateId: idStr(value.message_template_id),
    name: str(value.message_template_name),
    language: str(value.message_template_language),
    event: str(value.event),
    reason: str(value.reason),
    // The status update names the category; a category update names the new one.
    category: str(value.message_template_category) ?? str(value.new_category),
    previousCategory: str(value.previous_category),
    correctCategory: str(value.correct_category),
    categoryUpdateAt: isoFromUnix(value.category_update_timestamp),
    previousQuality: str(value.previous_quality_score),
    quality: str(value.new_quality_score),
    timestamp: ctx.time,
    raw: value,
  });
  const conversationId = conversationIdOf(tenant, SYSTEM_USER);
  emit(out, { type: "template.update", tenant, conversationId, data }, keyOf("template", ctx, value));
}

/** account_update, account_alerts, account_review_update, phone_number_*_update, business_*… */
export function accountField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const { tenant, phoneNumberId } = tenantOf(value);
  const alert = obj(value.alert_info);
  const data = compact({
    field: ctx.field,
    wabaId: ctx.wabaId ?? UNATTRIBUTED_TENANT,
    phoneNumberId,
    displayPhoneNumber: idStr(value.display_phone_number),
    event: str(value.event) ?? str(alert?.alert_type) ?? str(value.decision),
    severity: str(alert?.alert_severity),
    timestamp: ctx.time,
    raw: value,
  });
  const conversationId = conversationIdOf(tenant, SYSTEM_USER);
  emit(out, { type: "account.update", tenant, conversationId, data }, keyOf("account", ctx, value));
}

/** standby, messaging_handovers: published whole; Flank does not act on them yet. */
export function handoverField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const { tenant, phoneNumberId } = tenantOf(value);
  const data = compact({
    field: ctx.field,
    phoneNumberId,
    wabaId: ctx.wabaId ?? UNATTRIBUTED_TENANT,
    timestamp: ctx.time,
    raw: value,
  });
  const conversationId = conversationIdOf(tenant, SYSTEM_USER);
  emit(out, { type: "inbound.handover", tenant, conversationId, data }, keyOf("handover", ctx, value));
}

/**
 * Any other field, or a known field whose value cannot be read: `inbound.field` with the field's
 * name and value as Meta sent them, so nothing is dropped.
 */
export function genericField(value: unknown, ctx: FieldContext, out: NormalizedWebhook): void {
  const o = obj(value);
  const { tenant, phoneNumberId } = o ? tenantOf(o) : { tenant: UNATTRIBUTED_TENANT };
  const data = compact({ field: ctx.field, wabaId: ctx.wabaId, phoneNumberId, timestamp: ctx.time, value });
  const conversationId = conversationIdOf(tenant, SYSTEM_USER);
  emit(out, { type: "inbound.field", tenant, conversationId, data }, keyOf("field", ctx, value));
}
