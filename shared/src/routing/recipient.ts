import type { Conversation } from "../store/types.js";

/** Meta's customer service window: free-form messages need an inbound message this recent (error 131047). */
export const SERVICE_WINDOW_MS = 24 * 3600 * 1000;

/** True while the user's last message is younger than the 24-hour window. */
export function windowOpen(lastInboundAt: string | undefined, now: number): boolean {
  const last = lastInboundAt ? Date.parse(lastInboundAt) : Number.NaN;
  return !Number.isNaN(last) && now - last < SERVICE_WINDOW_MS;
}

/** Where a message to the conversation's user goes: the wa_id, else the BSUID, else the stored user key. */
export function recipientOf(c: Pick<Conversation, "waId" | "userId" | "user">): {
  to?: string;
  recipient?: string;
} {
  if (c.waId) return { to: c.waId };
  if (c.userId) return { recipient: c.userId };
  return { to: c.user };
}
