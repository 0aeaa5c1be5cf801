import { isoTime } from "../iso-time.js";
import { genericField } from "./field-account.js";
import { FIELD_HANDLERS } from "./fields.js";
import { idStr, isoFromUnix, obj, objs, str } from "./read.js";
import type { FieldContext, NormalizedWebhook } from "./webhook-out.js";

export {
  conversationIdOf,
  type FieldContext,
  type NormalizedWebhook,
  type SkippedItem,
  SYSTEM_USER,
  UNATTRIBUTED_TENANT,
} from "./webhook-out.js";

export interface NormalizeOptions {
  /** Used where Meta sent no usable timestamp. */
  receivedAt?: Date;
}

/**
 * Turns a parsed Meta webhook body into Flank events (docs/whatsapp-contract.md). Pure: no
 * I/O, never throws, whatever the shape of `payload`. Every `changes[]` entry becomes events:
 * known fields by their handler (fields.ts), any other field as `inbound.field`, and a known
 * field whose value held nothing the handler could read as `inbound.field` too, so nothing Meta
 * sends is dropped. Events of a business number have tenant = phone_number_id and conversationId
 * = `${phone_number_id}:${wa_id || BSUID || group id}`; account-level ones belong to the WABA.
 */
export function normalizeWebhook(payload: unknown, opts: NormalizeOptions = {}): NormalizedWebhook {
  const receivedAt = isoTime(opts.receivedAt?.getTime() ?? Date.now());
  const out: NormalizedWebhook = { events: [], dedupKeys: [], unknownFields: [], skipped: [] };
  for (const entry of objs(obj(payload)?.entry)) {
    const wabaId = idStr(entry.id);
    const time = isoFromUnix(entry.time) ?? receivedAt;
    for (const change of objs(entry.changes)) {
      const field = str(change.field) ?? "(none)";
      const ctx: FieldContext = { field, wabaId, time, receivedAt };
      const handler = Object.hasOwn(FIELD_HANDLERS, field) ? FIELD_HANDLERS[field] : undefined;
      const value = obj(change.value);
      if (!handler) out.unknownFields.push(field);
      if (!handler || !value) {
        genericField(change.value, ctx, out);
        continue;
      }
      const before = out.events.length + out.skipped.length;
      handler(value, ctx, out);
      if (out.events.length + out.skipped.length === before) genericField(value, ctx, out);
    }
  }
  return out;
}
