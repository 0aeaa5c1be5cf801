import { z } from "zod";
import { InboundMessageData, MetaError } from "./inbound.js";

/**
 * Payloads of the topics for webhook fields other than user messages and statuses (see
 * docs/whatsapp-contract.md for what each field becomes). Every payload keeps Meta's object in
 * `raw`, and every value Meta may vary is a plain string or number here, so a new event name or
 * an unexpected value is carried instead of failing validation after the 200.
 */

const opt = z.string().optional();
/** ISO-8601 time: Meta's unix seconds, else the time the webhook was received. */
const iso = z.string();

/** `smb_message_echoes`: a message the business sent from the WhatsApp Business app (or a companion device). */
export const InboundEchoData = InboundMessageData.extend({
  /** The user the business wrote to: phone number without `+`. */
  to: opt,
  toUserId: opt,
  toParentUserId: opt,
});
export type InboundEchoData = z.infer<typeof InboundEchoData>;

/** `history`: one message of a WhatsApp Business app chat history import (up to 180 days). */
export const InboundHistoryData = InboundMessageData.extend({
  /** `outbound` when the business wrote it, `inbound` when the user did. */
  direction: z.enum(["inbound", "outbound"]),
  /** The thread (user) the message belongs to. */
  threadId: z.string(),
  to: opt,
  /** `history_context.status`: DELIVERED, READ, PLAYED… as Meta sends it. */
  historyStatus: opt,
  phase: z.number().optional(),
  chunkOrder: z.number().optional(),
  progress: z.number().optional(),
});
export type InboundHistoryData = z.infer<typeof InboundHistoryData>;

/** `user_preferences`: a user stopped or resumed marketing messages (or signed up). */
export const InboundPreferenceData = z.object({
  phoneNumberId: z.string(),
  waId: opt,
  userId: opt,
  /** e.g. `marketing_messages`. */
  category: z.string(),
  /** `stop`, `resume`, `signup`… as Meta sends it. */
  value: z.string(),
  detail: opt,
  timestamp: iso,
  raw: z.unknown(),
});
export type InboundPreferenceData = z.infer<typeof InboundPreferenceData>;

/** `calls`: a call's connect or terminate, a call status (RINGING, ACCEPTED, REJECTED), with errors. */
export const InboundCallData = z.object({
  phoneNumberId: z.string(),
  callId: z.string(),
  /** `connect`, `terminate`, or `status` for `statuses[]` entries of type `call`. */
  event: z.string(),
  /** USER_INITIATED or BUSINESS_INITIATED. */
  direction: opt,
  from: opt,
  to: opt,
  /** The user's side of the call: wa_id, else BSUID. */
  user: opt,
  /** COMPLETED / FAILED on terminate; RINGING / ACCEPTED / REJECTED on a status. */
  status: opt,
  startTime: opt,
  endTime: opt,
  durationSeconds: z.number().optional(),
  bizOpaqueCallbackData: opt,
  errors: z.array(MetaError).optional(),
  timestamp: iso,
  raw: z.unknown(),
});
export type InboundCallData = z.infer<typeof InboundCallData>;

/** `group_lifecycle_update`, `group_participants_update`, `group_settings_update`, `group_status_update`. */
export const InboundGroupData = z.object({
  field: z.string(),
  phoneNumberId: z.string(),
  /** Absent only when the update names no group (a failed group creation carries its request id). */
  groupId: opt,
  /** The entry's `type`, e.g. `group_participants_add`, `group_create`. */
  kind: opt,
  requestId: opt,
  timestamp: iso,
  raw: z.unknown(),
});
export type InboundGroupData = z.infer<typeof InboundGroupData>;

/** `smb_app_state_sync`: a contact added, edited or removed in the WhatsApp Business app. */
export const InboundStateSyncData = z.object({
  phoneNumberId: z.string(),
  kind: opt,
  action: opt,
  contact: z.object({ fullName: opt, firstName: opt, phoneNumber: opt }).optional(),
  timestamp: iso,
  raw: z.unknown(),
});
export type InboundStateSyncData = z.infer<typeof InboundStateSyncData>;

/** `standby`, `messaging_handovers`: while Meta's own AI agent holds a conversation. */
export const InboundHandoverData = z.object({
  field: z.string(),
  phoneNumberId: opt,
  wabaId: opt,
  timestamp: iso,
  raw: z.unknown(),
});
export type InboundHandoverData = z.infer<typeof InboundHandoverData>;

/** Template status, quality, category and components updates (one topic, `field` says which). */
export const TemplateUpdateData = z.object({
  field: z.string(),
  wabaId: z.string(),
  templateId: opt,
  name: opt,
  /** As Meta writes it (`en-US` or `en_US`). */
  language: opt,
  /** message_template_status_update: APPROVED, PAUSED, DISABLED, REJECTED… */
  event: opt,
  reason: opt,
  /** The template's category as of this update (MARKETING, UTILITY, AUTHENTICATION). */
  category: opt,
  previousCategory: opt,
  /** template_category_update: the category Meta will move the template to, and when. */
  correctCategory: opt,
  categoryUpdateAt: opt,
  /** message_template_quality_update: GREEN, YELLOW, RED, UNKNOWN. */
  previousQuality: opt,
  quality: opt,
  timestamp: iso,
  raw: z.unknown(),
});
export type TemplateUpdateData = z.infer<typeof TemplateUpdateData>;

/** Account and number level notifications (account_update, account_alerts, quality, name, capability…). */
export const AccountUpdateData = z.object({
  field: z.string(),
  wabaId: opt,
  phoneNumberId: opt,
  displayPhoneNumber: opt,
  /** `event`, or the alert's type for account_alerts. */
  event: opt,
  /** account_alerts: CRITICAL, WARNING, INFORMATIONAL. */
  severity: opt,
  timestamp: iso,
  raw: z.unknown(),
});
export type AccountUpdateData = z.infer<typeof AccountUpdateData>;

/** A field Flank does not know yet: its name and value, as Meta sent them. */
export const InboundFieldData = z.object({
  field: z.string(),
  wabaId: opt,
  phoneNumberId: opt,
  timestamp: iso,
  value: z.unknown(),
});
export type InboundFieldData = z.infer<typeof InboundFieldData>;
