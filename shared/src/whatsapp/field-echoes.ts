import { genericField } from "./field-account.js";
import { valueErrors } from "./field-errors.js";
import { findContact } from "./map-common.js";
import { type ChangeMeta, messageData } from "./map-message.js";
import { compact, idStr, type Json, num, obj, objs, str } from "./read.js";
import {
  changeMeta,
  conversationIdOf,
  emit,
  type FieldContext,
  type NormalizedWebhook,
} from "./webhook-out.js";

/** A phone number as a user key: digits only (echoes write `to` as it was sent, maybe with `+`). */
const digits = (v: string | undefined): string | undefined => {
  const d = v?.replace(/\D/g, "");
  return d ? d : undefined;
};

/**
 * `smb_message_echoes` (coexistence with the WhatsApp Business app): what the business wrote from
 * the app, as `inbound.echo` of the user's conversation (the group's for a group message). Edits
 * and revokes of those messages arrive the same way, as types `edit` and `revoke`.
 */
export function echoesField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  for (const m of objs(value.message_echoes)) {
    const wamid = str(m.id);
    if (!wamid) {
      out.skipped.push({ kind: "message", reason: "echo without id" });
      continue;
    }
    let from = digits(idStr(m.from));
    let to = digits(idStr(m.to));
    // Meta writes from = business, to = user; a body written the other way round is read right.
    if (to !== undefined && to === meta.displayPhoneNumber && from !== to) [from, to] = [to, from];
    const toUserId = str(m.to_user_id);
    const contact = findContact(meta.contacts, to, toUserId);
    const user = str(m.group_id) ?? to ?? toUserId ?? str(contact?.wa_id) ?? str(contact?.user_id);
    if (!user) {
      out.skipped.push({ kind: "message", reason: "echo without to or to_user_id" });
      continue;
    }
    const data = {
      ...messageData(m, wamid, meta, ctx.receivedAt, compact({ from })),
      ...compact({ to, toUserId, toParentUserId: str(m.to_parent_user_id) }),
    };
    const tenant = meta.phoneNumberId;
    emit(
      out,
      { type: "inbound.echo", tenant, conversationId: conversationIdOf(tenant, user), data },
      `echo:${wamid}`,
    );
  }
}

interface Chunk {
  threadId?: string;
  phase?: number;
  chunkOrder?: number;
  progress?: number;
}

/**
 * `history`: the app's chat history (up to 180 days, in phases and chunks), one `inbound.history`
 * per message, stored by the router without triggering replies. A declined import arrives as
 * `errors` (an `inbound.error` naming the field); media follow-ups arrive as `value.messages`.
 */
export function historyField(value: Json, ctx: FieldContext, out: NormalizedWebhook): void {
  const meta = changeMeta(value, ctx.wabaId);
  if (!meta) {
    genericField(value, ctx, out);
    return;
  }
  for (const h of objs(value.history)) {
    const hm = obj(h.metadata);
    const chunk = { phase: num(hm?.phase), chunkOrder: num(hm?.chunk_order), progress: num(hm?.progress) };
    valueErrors(h.errors, meta.phoneNumberId, ctx, out);
    for (const t of objs(h.threads)) {
      const threadId = idStr(t.id);
      for (const m of objs(t.messages)) historyMessage(m, { ...chunk, threadId }, meta, ctx, out);
    }
  }
  for (const m of objs(value.messages)) historyMessage(m, {}, meta, ctx, out);
}

function historyMessage(m: Json, chunk: Chunk, meta: ChangeMeta, ctx: FieldContext, out: NormalizedWebhook) {
  const wamid = str(m.id);
  if (!wamid) {
    out.skipped.push({ kind: "message", reason: "history message without id" });
    return;
  }
  const from = digits(idStr(m.from));
  const to = digits(idStr(m.to));
  // `to` is only on the business's own messages (docs/whatsapp-contract.md "Other fields").
  const business = to !== undefined || (from !== undefined && from === meta.displayPhoneNumber);
  const threadId = chunk.threadId ?? (business ? to : from);
  if (!threadId) {
    out.skipped.push({ kind: "message", reason: "history message without thread" });
    return;
  }
  const contact = business ? undefined : findContact(meta.contacts, from, undefined);
  const party = compact({ from, profileName: str(obj(contact?.profile)?.name) });
  const data = {
    ...messageData(m, wamid, meta, ctx.receivedAt, party),
    ...compact({
      direction: business ? ("outbound" as const) : ("inbound" as const),
      threadId,
      to,
      historyStatus: str(obj(m.history_context)?.status),
      phase: chunk.phase,
      chunkOrder: chunk.chunkOrder,
      progress: chunk.progress,
    }),
  };
  const tenant = meta.phoneNumberId;
  const conversationId = conversationIdOf(tenant, threadId);
  // A media placeholder is followed by the same wamid with its media: both are kept.
  emit(out, { type: "inbound.history", tenant, conversationId, data }, `history:${wamid}:${data.type}`);
}
