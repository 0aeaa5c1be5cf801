import { createHash } from "node:crypto";
import { createEvent } from "../events/event.js";
import type { FlankEvent } from "../events/schemas.js";
import { mapErrors } from "./map-common.js";
import { type ChangeMeta, mapMessage } from "./map-message.js";
import { mapStatus } from "./map-status.js";
import { idStr, type Json, obj, objs, str } from "./read.js";

/** User part of the conversation id of account-level `value.errors` events, which belong to no user. */
export const SYSTEM_USER = "system";
/** Tenant of `value.errors` events that name no business number (the WABA is in `data.wabaId`). */
export const UNATTRIBUTED_TENANT = "unknown";

export interface SkippedItem {
  kind: "message" | "status" | "change";
  reason: string;
}

export interface NormalizedWebhook {
  /** Ready events, in payload order: per change, messages, then statuses, then errors. */
  events: FlankEvent[];
  /** Parallel to `events`: wamid, `wamid:status`, or `error:<sha256>` (for `bus.publish`). */
  dedupKeys: string[];
  /** `field`s other than "messages" (template updates, account alerts…): acknowledged and ignored. */
  ignoredFields: string[];
  /** Items that cannot become a valid event (no id, no sender, unknown status value). */
  skipped: SkippedItem[];
}

export interface NormalizeOptions {
  /** Used where Meta sent no usable timestamp. */
  receivedAt?: Date;
}

export const conversationIdOf = (phoneNumberId: string, user: string): string => `${phoneNumberId}:${user}`;

const hashOf = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex");

/**
 * Turns a parsed Meta webhook body into Flank events (contract §§2–5, checklist §12.4). Pure: no
 * I/O, never throws, whatever the shape of `payload`. tenant = phone_number_id (UNATTRIBUTED_TENANT
 * for errors without one) and conversationId = `${phone_number_id}:${wa_id || BSUID}`.
 */
export function normalizeWebhook(payload: unknown, opts: NormalizeOptions = {}): NormalizedWebhook {
  const receivedAt = (opts.receivedAt ?? new Date()).toISOString();
  const out: NormalizedWebhook = { events: [], dedupKeys: [], ignoredFields: [], skipped: [] };
  for (const entry of objs(obj(payload)?.entry)) {
    const wabaId = idStr(entry.id);
    for (const change of objs(entry.changes)) {
      const field = str(change.field) ?? "(none)";
      if (field !== "messages") {
        out.ignoredFields.push(field);
        continue;
      }
      const value = obj(change.value);
      if (value) normalizeValue(value, wabaId, receivedAt, out);
    }
  }
  return out;
}

function normalizeValue(value: Json, wabaId: string | undefined, receivedAt: string, out: NormalizedWebhook) {
  const metadata = obj(value.metadata);
  const phoneNumberId = idStr(metadata?.phone_number_id);
  const messages = objs(value.messages);
  const statuses = objs(value.statuses);
  if (!phoneNumberId && (messages.length > 0 || statuses.length > 0)) {
    out.skipped.push({ kind: "change", reason: "messages change without metadata.phone_number_id" });
  }
  if (phoneNumberId) {
    const meta: ChangeMeta = {
      phoneNumberId,
      displayPhoneNumber: idStr(metadata?.display_phone_number),
      wabaId,
      contacts: objs(value.contacts),
    };
    for (const m of messages) {
      const mapped = mapMessage(m, meta, receivedAt);
      if (!mapped.ok) {
        out.skipped.push({ kind: "message", reason: mapped.reason });
        continue;
      }
      out.events.push(
        createEvent({
          type: "inbound.message",
          tenant: phoneNumberId,
          conversationId: conversationIdOf(phoneNumberId, mapped.user),
          data: mapped.data,
        }),
      );
      out.dedupKeys.push(mapped.data.wamid);
    }
    for (const s of statuses) {
      const mapped = mapStatus(s, phoneNumberId, receivedAt);
      if (!mapped.ok) {
        out.skipped.push({ kind: "status", reason: mapped.reason });
        continue;
      }
      out.events.push(
        createEvent({
          type: "inbound.status",
          tenant: phoneNumberId,
          conversationId: conversationIdOf(phoneNumberId, mapped.user),
          data: mapped.data,
        }),
      );
      out.dedupKeys.push(`${mapped.data.wamid}:${mapped.data.status}`);
    }
  }
  const errors = mapErrors(value.errors);
  if (errors) {
    // A tenant is a business number. Account-level errors name none: `entry.id` (the WABA) is not
    // one, and a signed body could name any (another tenant's number among them).
    const tenant = phoneNumberId ?? UNATTRIBUTED_TENANT;
    out.events.push(
      createEvent({
        type: "inbound.error",
        tenant,
        conversationId: conversationIdOf(tenant, SYSTEM_USER),
        data: { phoneNumberId, wabaId, errors, raw: value.errors },
      }),
    );
    // Meta's error objects carry no id: the same payload for the same number is the same error.
    out.dedupKeys.push(`error:${hashOf([tenant, value.errors])}`);
  }
}
