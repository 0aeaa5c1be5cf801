import { genericField } from "./field-account.js";
import { findContact } from "./map-common.js";
import { compact, idStr, isoFromUnix, type Json, obj, objs, str } from "./read.js";
import {
  changeMeta,
  conversationIdOf,
  emit,
  type FieldContext,
  hashOf,
  type NormalizedWebhook,
  SYSTEM_USER,
} from "./webhook-out.js";

/** `user_preferences`: marketing stop / resume (and sign-ups), one `inbound.preference` each. */
export function preferencesField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  const tenant = meta.phoneNumberId;
  for (const p of objs(value.user_preferences)) {
    const contact = findContact(meta.contacts, idStr(p.wa_id), str(p.user_id));
    const waId = idStr(p.wa_id) ?? str(contact?.wa_id);
    const userId = str(p.user_id) ?? str(contact?.user_id);
    const user = waId ?? userId;
    if (!user) {
      out.skipped.push({ kind: "item", reason: "preference without wa_id or user_id" });
      continue;
    }
    const category = str(p.category) ?? "unknown";
    const preference = str(p.value) ?? "unknown";
    const data = compact({
      phoneNumberId: tenant,
      waId,
      userId,
      category,
      value: preference,
      detail: str(p.detail),
      timestamp: isoFromUnix(p.timestamp) ?? ctx.receivedAt,
      raw: p,
    });
    const key = `preference:${tenant}:${user}:${category}:${preference}:${idStr(p.timestamp) ?? ""}`;
    emit(
      out,
      { type: "inbound.preference", tenant, conversationId: conversationIdOf(tenant, user), data },
      key,
    );
  }
}

/** `smb_app_state_sync`: contacts the business added, edited or removed in the app. */
export function stateSyncField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  const tenant = meta.phoneNumberId;
  for (const e of objs(value.state_sync)) {
    const c = obj(e.contact);
    const phoneNumber = idStr(c?.phone_number)?.replace(/\D/g, "") || undefined;
    const contact = c
      ? compact({ fullName: str(c.full_name), firstName: str(c.first_name), phoneNumber })
      : undefined;
    const data = compact({
      phoneNumberId: tenant,
      kind: str(e.type),
      action: str(e.action),
      contact,
      timestamp: isoFromUnix(obj(e.metadata)?.timestamp) ?? ctx.time,
      raw: e,
    });
    const conversationId = conversationIdOf(tenant, phoneNumber ?? SYSTEM_USER);
    emit(out, { type: "inbound.state_sync", tenant, conversationId, data }, `state:${hashOf([tenant, e])}`);
  }
}

/** group_lifecycle_update, group_participants_update, group_settings_update, group_status_update. */
export function groupsField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  const tenant = meta.phoneNumberId;
  for (const g of objs(value.groups)) {
    const groupId = str(g.group_id);
    const data = compact({
      field: ctx.field,
      phoneNumberId: tenant,
      groupId,
      kind: str(g.type),
      requestId: str(g.request_id),
      timestamp: isoFromUnix(g.timestamp) ?? ctx.time,
      raw: g,
    });
    const conversationId = conversationIdOf(tenant, groupId ?? SYSTEM_USER);
    emit(
      out,
      { type: "inbound.group", tenant, conversationId, data },
      `group:${hashOf([tenant, ctx.field, g])}`,
    );
  }
}
