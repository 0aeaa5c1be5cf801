import type { InboundMessageData, Logger, MessageAmendment, MessageStore, SessionCache } from "@flank/shared";
import type { RouterDeps } from "./router-worker.js";

/** Session lines kept when the router writes to the session history (the responder's window by default). */
export const DEFAULT_SESSION_KEEP = 50;

export interface AmendmentDeps {
  messages: Pick<MessageStore, "amend">;
  cache?: Pick<SessionCache, "appendMessages">;
  /** How many session lines the cache keeps (the responder's history window). */
  sessionKeep: number;
  log: Logger;
}

/** What applyAmendment needs, from a router process's deps (the router and sync workers share it). */
export function amendmentDeps(
  deps: Pick<RouterDeps, "stores" | "cache" | "sessionKeep" | "log">,
): AmendmentDeps {
  const cache = deps.cache;
  return {
    messages: deps.stores.messages,
    ...(cache?.appendMessages ? { cache: { appendMessages: cache.appendMessages.bind(cache) } } : {}),
    sessionKeep: deps.sessionKeep ?? DEFAULT_SESSION_KEEP,
    log: deps.log,
  };
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
  await deps.cache
    ?.appendMessages(
      conversationId,
      [{ role, text: message.text ?? "", at: message.timestamp, id: original, amends: amendment.kind }],
      deps.sessionKeep,
    )
    .catch((err: unknown) => log.warn({ err }, "session cache: amendment not recorded"));
  return outcome;
}
