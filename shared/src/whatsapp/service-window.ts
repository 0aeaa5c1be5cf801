import type { OutboundMessage } from "../events/outbound.js";

/**
 * Meta's customer service window, the one place Flank states it: a free-form message needs an
 * inbound message from the user younger than 24 hours (else Meta answers 131047); templates and
 * read receipts go out at any time. The sender, the agent API and handoff notices all ask here.
 */
export const SERVICE_WINDOW_MS = 24 * 3600 * 1000;

/** When the window a user's last message opened closes (ms since the epoch), or undefined. */
export function windowClosesAt(lastInboundAt: string | undefined): number | undefined {
  const last = lastInboundAt ? Date.parse(lastInboundAt) : Number.NaN;
  return Number.isNaN(last) ? undefined : last + SERVICE_WINDOW_MS;
}

/** True while the user's last message is younger than the 24-hour window. */
export function windowOpen(lastInboundAt: string | undefined, now: number): boolean {
  const closes = windowClosesAt(lastInboundAt);
  return closes !== undefined && now < closes;
}

/** Free-form messages need an open window; templates and read receipts do not. */
export const needsOpenWindow = (message: Pick<OutboundMessage, "type">): boolean =>
  message.type !== "template" && message.type !== "read";

/** Whether `message` may go to a user whose last message was at `lastInboundAt`. */
export const mayDeliver = (
  message: Pick<OutboundMessage, "type">,
  lastInboundAt: string | undefined,
  now: number,
): boolean => !needsOpenWindow(message) || windowOpen(lastInboundAt, now);
