import type { InboundMessageData } from "@flank/shared/contract";
import type { UserKey, UserStore } from "@flank/shared/store";
import { sightingOf } from "./conversation-state.js";

const ID_CHANGES = new Set(["user_changed_number", "user_changed_user_id"]);

/**
 * The conversation a message belongs to, and the user store kept in step (docs/whatsapp-contract.md "Identity"). One
 * person keeps one conversation (stage, 24-hour window, memory) whatever id they write from: the
 * users store links wa_id and BSUID whenever both are seen and remembers the conversation the
 * person was first seen in, so a message that arrives under a BSUID alone (a username user whose
 * number is no longer sent) or a new number lands in that conversation. A system message saying
 * the number or BSUID changed moves the user to the new ids first. A group message belongs to
 * the group's conversation; its sender is still recorded as a user.
 */
export async function resolveConversation(
  users: Pick<UserStore, "upsert" | "changeIds">,
  tenant: string,
  conversationId: string,
  message: InboundMessageData,
): Promise<string> {
  const sighting = sightingOf(tenant, message);
  if (!sighting) return conversationId;
  const group = message.groupId !== undefined;
  const user = await users.upsert(group ? sighting : { ...sighting, conversationId });
  const system = message.system;
  if (message.type === "system" && system && ID_CHANGES.has(system.kind)) {
    const from: UserKey = { waId: message.from, userId: system.previousUserId ?? message.userId };
    const to: UserKey = { waId: system.waId, userId: system.userId };
    if (to.waId || to.userId) await users.changeIds(tenant, from, to);
  }
  return group ? conversationId : (user.conversationId ?? conversationId);
}
