import type { Conversation } from "../store/types.js";

/** Where a message to the conversation's user goes: the wa_id, else the BSUID, else the stored user key. */
export function recipientOf(c: Pick<Conversation, "waId" | "userId" | "user">): {
  to?: string;
  recipient?: string;
} {
  if (c.waId) return { to: c.waId };
  if (c.userId) return { recipient: c.userId };
  return { to: c.user };
}
