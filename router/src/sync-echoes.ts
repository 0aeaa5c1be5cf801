import type { EventOf } from "@flank/shared/contract";
import { applyAmendment } from "./amendments.js";
import { pauseForHuman } from "./conversation-ops.js";
import { userOf } from "./conversation-state.js";
import type { SyncContext } from "./sync-context.js";
import { knownConversation, storedEcho, storedHistory } from "./sync-records.js";

export const APP_REPLY_REASON = "a person answered from the WhatsApp Business app";

/**
 * `inbound.echo` (coexistence): the business wrote from the WhatsApp Business app. The message
 * joins the conversation's history as the business's (the store, and the bot's session history
 * as a person's line), and the bot pauses for HUMAN_REPLY_PAUSE_MINUTES from the echo's time so
 * it does not talk over the person. Edits and revokes of echoes amend the stored message.
 */
export async function handleEcho(ctx: SyncContext, event: EventOf<"inbound.echo">): Promise<void> {
  const m = event.data;
  const key = { ...(m.to ? { waId: m.to } : {}), ...(m.toUserId ? { userId: m.toUserId } : {}) };
  const id = await knownConversation(ctx.stores.users, event.tenant, event.conversationId, key, m.groupId);
  if (m.type === "edit" || m.type === "revoke") {
    await applyAmendment(ctx.amend, id, m, "agent");
    return;
  }
  const fresh = await ctx.stores.messages.insert(storedEcho(id, event.tenant, m));
  if (fresh && m.text)
    await ctx.lines.append(id, [{ role: "agent", text: m.text, at: m.timestamp, id: m.wamid }]);
  if (ctx.humanReplyPauseMinutes <= 0) return;
  const sent = Date.parse(m.timestamp);
  const until = (Number.isNaN(sent) ? ctx.clock().getTime() : sent) + ctx.humanReplyPauseMinutes * 60_000;
  // An echo redelivered after its pause would have ended changes nothing.
  if (until <= ctx.clock().getTime()) return;
  const result = await pauseForHuman(
    ctx.routing,
    { id, tenant: event.tenant, user: userOf(id) },
    new Date(until).toISOString(),
    APP_REPLY_REASON,
  );
  if (result.ok && result.changed) {
    ctx.log.info(
      { conversationId: id, pausedUntil: result.conversation.pausedUntil },
      "bot paused: a person answered from the app",
    );
  }
}

/**
 * `inbound.history`: a message of the app's chat history, stored in its conversation as it was
 * (either side), never routed, so an import of 180 days triggers no reply.
 */
export async function handleHistory(ctx: SyncContext, event: EventOf<"inbound.history">): Promise<void> {
  const m = event.data;
  const key = /^\d+$/.test(m.threadId) ? { waId: m.threadId } : { userId: m.threadId };
  await ctx.stores.users.upsert({
    tenant: event.tenant,
    ...key,
    ...(m.direction === "inbound" && m.profileName ? { profileName: m.profileName } : {}),
    conversationId: event.conversationId,
  });
  const id = await knownConversation(ctx.stores.users, event.tenant, event.conversationId, key, m.groupId);
  await ctx.stores.messages.insert(storedHistory(id, event.tenant, m));
}
