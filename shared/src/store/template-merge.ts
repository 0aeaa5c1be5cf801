import type { TemplateRecord, TemplateUpdate } from "./types.js";

/** Webhooks write `en-US`, sends use `en_US`: one form for lookups. */
export const normalizeLanguage = (language: string): string => language.trim().replace(/-/g, "_");

export const templateKey = (wabaId: string, name: string, language: string): string =>
  `${wabaId}:${name}:${normalizeLanguage(language)}`;

/**
 * Template statuses that cannot be sent (Meta answers 132015 paused, 132016 disabled, 132001 not
 * approved): the sender refuses such a template before any Graph API call.
 */
export const UNSENDABLE_TEMPLATE_STATUSES: ReadonlySet<string> = new Set([
  "PAUSED",
  "DISABLED",
  "REJECTED",
  "PENDING_DELETION",
  "DELETED",
  "ARCHIVED",
  "LIMIT_EXCEEDED",
]);

const newer = (at: string, stored: string | undefined) => stored === undefined || at >= stored;

/**
 * A template's record after one update (pure, shared by the stores). Template webhooks arrive
 * out of order like any other: status, category and quality each move only when the update is
 * not older than what the record holds for it.
 */
export function mergeTemplate(
  existing: TemplateRecord | undefined,
  u: TemplateUpdate,
  now: string,
): TemplateRecord {
  const base: TemplateRecord = existing ?? {
    id: templateKey(u.wabaId, u.name, u.language),
    wabaId: u.wabaId,
    name: u.name,
    language: normalizeLanguage(u.language),
    updatedAt: now,
    version: 0,
  };
  const next: TemplateRecord = { ...base, updatedAt: now, version: base.version + 1 };
  if (u.templateId) next.templateId = u.templateId;
  if (u.status && newer(u.at, base.statusAt)) {
    next.status = u.status;
    next.statusAt = u.at;
    if (u.statusReason) next.statusReason = u.statusReason;
    else delete next.statusReason;
  }
  if (u.category && newer(u.at, base.categoryAt)) {
    next.category = u.category;
    next.categoryAt = u.at;
    // The category Meta announced has arrived (or another replaced it).
    if (!u.pendingCategory) {
      delete next.pendingCategory;
      delete next.pendingCategoryAt;
    }
  }
  if (u.pendingCategory && newer(u.at, base.categoryAt)) {
    next.pendingCategory = u.pendingCategory.category;
    if (u.pendingCategory.at) next.pendingCategoryAt = u.pendingCategory.at;
  }
  if (u.quality && newer(u.at, base.qualityAt)) {
    next.quality = u.quality;
    next.qualityAt = u.at;
  }
  if (u.components && newer(u.at, base.componentsAt)) next.componentsAt = u.at;
  return next;
}
