import { createHash } from "node:crypto";
import { createEvent, type EventInit } from "../events/event.js";
import type { FlankEvent } from "../events/schemas.js";
import type { ChangeMeta } from "./map-message.js";
import { idStr, type Json, obj, objs } from "./read.js";

/** User part of the conversation id of events that belong to no user (account, templates, errors). */
export const SYSTEM_USER = "system";
/**
 * Tenant of account-level events, which name no business number (the WABA is in `data.wabaId`).
 * A tenant is only ever a phone_number_id the signature covers: `entry.id` is not one, and a signed
 * body could name any (another tenant's among them).
 */
export const UNATTRIBUTED_TENANT = "unknown";

export const conversationIdOf = (tenant: string, user: string): string => `${tenant}:${user}`;

export interface SkippedItem {
  kind: "message" | "status" | "change" | "item";
  reason: string;
}

export interface NormalizedWebhook {
  /** Ready events, in payload order. */
  events: FlankEvent[];
  /** Parallel to `events`: the bus's dedup key of each (a wamid, `wamid:status`, or a prefixed key). */
  dedupKeys: string[];
  /** Fields Flank does not know yet: published on `inbound.field`, listed here for the metric. */
  unknownFields: string[];
  /** Items that cannot become an event at all (no id, no sender): logged and counted. */
  skipped: SkippedItem[];
}

/** What every field handler knows about the change it reads. */
export interface FieldContext {
  field: string;
  /** The entry id: the WhatsApp Business Account. */
  wabaId?: string;
  /** The entry's `time` (fields without metadata carry it), else the receive time; ISO-8601. */
  time: string;
  /** When the webhook arrived; used where Meta sent no usable timestamp. */
  receivedAt: string;
}

export type FieldHandler = (value: Json, ctx: FieldContext, out: NormalizedWebhook) => void;

export const hashOf = (value: unknown): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex");

/** Appends one event and its dedup key. */
export function emit<T extends FlankEvent["type"]>(out: NormalizedWebhook, init: EventInit<T>, key: string) {
  out.events.push(createEvent(init));
  out.dedupKeys.push(key);
}

/** The business number a change is about, from `value.metadata` (messages-like fields). */
export function changeMeta(value: Json, wabaId: string | undefined): ChangeMeta | undefined {
  const metadata = obj(value.metadata);
  const phoneNumberId = idStr(metadata?.phone_number_id);
  if (!phoneNumberId) return undefined;
  return {
    phoneNumberId,
    displayPhoneNumber: idStr(metadata?.display_phone_number),
    wabaId,
    contacts: objs(value.contacts),
  };
}

/** Tenant of a change: its number when the value names one, else none (account-level fields). */
export function tenantOf(value: Json): { tenant: string; phoneNumberId?: string } {
  const phoneNumberId = idStr(obj(value.metadata)?.phone_number_id);
  return phoneNumberId ? { tenant: phoneNumberId, phoneNumberId } : { tenant: UNATTRIBUTED_TENANT };
}
