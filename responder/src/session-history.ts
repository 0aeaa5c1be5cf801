import type { SessionCache } from "@flank/shared";
import type { Turn } from "./prompt.js";

/** The active session's recent turns per conversation (backed by the shared SessionCache). */
export interface SessionHistory {
  /** Appends the turns in order, in one write. */
  append(conversationId: string, turns: readonly Turn[]): Promise<void>;
  /** The last `limit` turns, oldest first. */
  recent(conversationId: string, limit: number): Promise<Turn[]>;
}

/** A capped list per conversation in process memory (unit tests). */
export class MemorySessionHistory implements SessionHistory {
  private readonly turns = new Map<string, Turn[]>();

  constructor(private readonly cap = 200) {}

  async append(conversationId: string, turns: readonly Turn[]): Promise<void> {
    const list = this.turns.get(conversationId) ?? [];
    list.push(...turns.map((t) => ({ ...t })));
    if (list.length > this.cap) list.splice(0, list.length - this.cap);
    this.turns.set(conversationId, list);
  }

  async recent(conversationId: string, limit: number): Promise<Turn[]> {
    return limit > 0 ? (this.turns.get(conversationId) ?? []).slice(-limit).map((t) => ({ ...t })) : [];
  }
}

/** The subset of shared's SessionCache the responder uses. */
export type SessionCacheLike = Pick<SessionCache, "appendMessages" | "recent" | "getConversation">;

/** SessionHistory over the shared SessionCache; an agent's messages read as the business's side. */
export function sessionHistoryFrom(cache: SessionCacheLike, keep: number): SessionHistory {
  return {
    append: (conversationId, turns) => cache.appendMessages(conversationId, turns, keep),
    recent: async (conversationId, limit) =>
      (await cache.recent(conversationId, limit)).map((e) => ({
        role: e.role === "user" ? "user" : "assistant",
        text: e.text,
        at: e.at,
      })),
  };
}
