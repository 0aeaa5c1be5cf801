import type { EventOf, TemplateUpdateData } from "@flank/shared/contract";
import { UNSENDABLE_TEMPLATE_STATUSES } from "@flank/shared/store";
import type { SyncContext } from "./sync-context.js";

/** `inbound.preference`: stop / resume per user and category; the sender checks it before marketing sends. */
export async function handlePreference(
  ctx: SyncContext,
  event: EventOf<"inbound.preference">,
): Promise<void> {
  const p = event.data;
  const key = { ...(p.waId ? { waId: p.waId } : {}), ...(p.userId ? { userId: p.userId } : {}) };
  const user = await ctx.stores.users.setPreference(event.tenant, key, p.category, {
    value: p.value,
    at: p.timestamp,
    ...(p.detail ? { detail: p.detail } : {}),
  });
  ctx.log.info(
    { conversationId: event.conversationId, userId: user.id, category: p.category, value: p.value },
    "user preference recorded",
  );
}

function templateUpdateOf(d: TemplateUpdateData, name: string, language: string) {
  return {
    wabaId: d.wabaId,
    name,
    language,
    at: d.timestamp,
    ...(d.templateId ? { templateId: d.templateId } : {}),
    ...(d.event ? { status: d.event } : {}),
    ...(d.reason ? { statusReason: d.reason } : {}),
    ...(d.category ? { category: d.category } : {}),
    ...(d.correctCategory
      ? {
          pendingCategory: {
            category: d.correctCategory,
            ...(d.categoryUpdateAt ? { at: d.categoryUpdateAt } : {}),
          },
        }
      : {}),
    ...(d.quality ? { quality: d.quality } : {}),
    ...(d.field === "message_template_components_update" ? { components: true } : {}),
  };
}

/** `template.update`: status, category and quality kept per template (shared/src/store templates). */
export async function handleTemplate(ctx: SyncContext, event: EventOf<"template.update">): Promise<void> {
  const d = event.data;
  const log = ctx.log.child({ eventId: event.id, wabaId: d.wabaId, template: d.name, field: d.field });
  if (!d.name || !d.language) {
    log.warn("template update without name or language: published, not stored");
    return;
  }
  const saved = await ctx.stores.templates.apply(templateUpdateOf(d, d.name, d.language));
  const fields = { status: saved.status, category: saved.category, quality: saved.quality };
  if (d.event && UNSENDABLE_TEMPLATE_STATUSES.has(d.event)) {
    log.warn({ ...fields, reason: d.reason }, "template can no longer be sent");
  } else if (d.quality === "RED") {
    log.warn(fields, "template quality is low");
  } else {
    log.info(fields, "template updated");
  }
}

const ACCOUNT_ALERTS = new Set([
  "ACCOUNT_VIOLATION",
  "ACCOUNT_RESTRICTION",
  "DISABLED_UPDATE",
  "ACCOUNT_DELETED",
  "FLAGGED",
]);

/** `account.update`: logged, as an alert when only a person can act on it (restrictions, bans, critical alerts). */
export async function handleAccount(ctx: SyncContext, event: EventOf<"account.update">): Promise<void> {
  const d = event.data;
  const fields = {
    eventId: event.id,
    field: d.field,
    event: d.event,
    severity: d.severity,
    tenant: event.tenant,
  };
  if ((d.event && ACCOUNT_ALERTS.has(d.event)) || d.severity === "CRITICAL") {
    ctx.log.error({ ...fields, alert: true }, "WhatsApp account notice needs attention");
  } else {
    ctx.log.info(fields, "WhatsApp account notice");
  }
}
