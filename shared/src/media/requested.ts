import { createEvent } from "../events/event.js";
import type { InboundMessageData } from "../events/inbound.js";
import type { EventOf } from "../events/schemas.js";
import { mediaLimit } from "./limits.js";

/**
 * The media step's job for a message with a file it would keep (`mediaLimit`), or undefined: the
 * normalized message without Meta's object, which stays on `inbound.message` (docs/media.md).
 */
export function mediaRequestOf(
  tenant: string,
  conversationId: string,
  message: InboundMessageData,
): EventOf<"media.requested"> | undefined {
  if (mediaLimit(message) === undefined) return undefined;
  return createEvent({
    type: "media.requested",
    tenant,
    conversationId,
    data: { ...message, raw: undefined },
  });
}
