import type { InboundMessageData } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { MessageAmendment, MessageStore } from "@flank/shared/store";
import type { SessionLines } from "./session-lines.js";

export interface AmendmentDeps {
  messages: Pick<MessageStore, "amend">;
  lines: SessionLines;
  log: Logger;
}

/**
 * An edit or a revoke (from the user, or an echo of the business's own): applied to the stored
 * message, whose earlier version stays in its history, and marked in the session history so the
 * prompt shows the new text or leaves the message out (responder/src/session-history.ts). It is
 * never routed: neither triggers a reply.
 */
export async function applyAmendment(
  deps: AmendmentDeps,
  conversationId: string,
  message: InboundMessageData,
  role: "user" | "agent",
): Promise<"applied" | "duplicate" | "unknown" | "unreadable"> {
  const original = message.edit?.originalMessageId ?? message.revoke?.originalMessageId;
  const log = deps.log.child({ conversationId, wamid: message.wamid, original });
  if (!original) {
    log.warn({ type: message.type }, "edit or revoke without original_message_id: stored event only");
    return "unreadable";
  }
  const amendment: MessageAmendment =
    message.type === "edit"
      ? {
          kind: "edit",
          id: message.wamid,
          ...(message.text === undefined ? {} : { body: message.text }),
          type: message.edit?.type ?? "unsupported",
          at: message.timestamp,
        }
      : { kind: "revoke", id: message.wamid, at: message.timestamp };
  const outcome = await deps.messages.amend(original, amendment);
  if (outcome === "unknown") log.info({ kind: amendment.kind }, "amends a message Flank has not stored");
  await deps.lines.append(conversationId, [
    { role, text: message.text ?? "", at: message.timestamp, id: original, amends: amendment.kind },
  ]);
  return outcome;
}
