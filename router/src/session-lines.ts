import type { SessionEntry } from "@flank/shared/store";
import type { RouterDeps } from "./router-worker.js";

/** Session lines kept when the router writes to the session history (the responder's window by default). */
export const DEFAULT_SESSION_KEEP = 50;

/**
 * The router's writes to the bot's session history (the responder reads it for prompts, see
 * responder/src/session-history.ts): lines the bot did not write itself (the WhatsApp Business
 * app's replies, what the user said while a person held the conversation) and edit / revoke
 * markers. Best effort: the stores stay the record; a cache failure is logged, never thrown.
 */
export interface SessionLines {
  append(conversationId: string, lines: SessionEntry[]): Promise<void>;
}

export function sessionLinesFrom(deps: Pick<RouterDeps, "cache" | "sessionKeep" | "log">): SessionLines {
  const { cache, log } = deps;
  const keep = deps.sessionKeep ?? DEFAULT_SESSION_KEEP;
  return {
    append: async (conversationId, lines) => {
      if (!cache?.appendMessages || lines.length === 0) return;
      await cache
        .appendMessages(conversationId, lines, keep)
        .catch((err: unknown) => log.warn({ err, conversationId }, "session cache: lines not recorded"));
    },
  };
}

/** While the route is `human` the bot does not record the user's turn; the router does, for after the pause. */
export const heldTurn = (message: { wamid: string; text?: string; timestamp: string }): SessionEntry[] =>
  message.text ? [{ role: "user", text: message.text, at: message.timestamp, id: message.wamid }] : [];
