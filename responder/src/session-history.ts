import type { SessionCache, SessionEntry } from "@flank/shared/store";
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

/**
 * The session as the prompt should see it (pure): edits and revokes applied wherever their
 * markers sit (the router may record them before or after the message), markers dropped, a
 * revoked message left out, an edited one with its latest text; a person's lines (an agent, the
 * WhatsApp Business app) read as the business's side.
 */
export function turnsOf(entries: readonly SessionEntry[]): Turn[] {
  const edited = new Map<string, string>();
  const revoked = new Set<string>();
  for (const e of entries) {
    if (e.id === undefined) continue;
    if (e.amends === "revoke") revoked.add(e.id);
    else if (e.amends === "edit") edited.set(e.id, e.text);
  }
  const turns: Turn[] = [];
  for (const e of entries) {
    if (e.amends || (e.id !== undefined && revoked.has(e.id))) continue;
    const text = (e.id !== undefined ? edited.get(e.id) : undefined) ?? e.text;
    turns.push({
      role: e.role === "user" ? "user" : "assistant",
      text,
      at: e.at,
      ...(e.id ? { id: e.id } : {}),
    });
  }
  return turns;
}

/** SessionHistory over the shared SessionCache (turnsOf applies edits and revokes). */
export function sessionHistoryFrom(cache: SessionCacheLike, keep: number): SessionHistory {
  return {
    append: (conversationId, turns) => cache.appendMessages(conversationId, turns, keep),
    recent: async (conversationId, limit) => turnsOf(await cache.recent(conversationId, limit)),
  };
}
