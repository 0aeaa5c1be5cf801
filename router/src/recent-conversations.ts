import type { Conversation } from "@flank/shared";

/**
 * The conversations this router saved last, in process: the first guess for the next message of
 * the same conversation, read before the session cache. A stale guess (another router or the agent
 * API saved since) costs nothing in correctness: the store's compare-and-set rejects it and the
 * save runs again on a fresh read, as with a stale session cache. Bounded: past `max` the oldest
 * saved is forgotten.
 */
export class RecentConversations {
  private readonly byId = new Map<string, Conversation>();

  constructor(private readonly max = 10_000) {}

  get(id: string): Conversation | undefined {
    return this.byId.get(id);
  }

  remember(conversation: Conversation): void {
    if (this.max <= 0) return;
    // Re-inserted, so the Map's order is the order saved and the first key the one to forget.
    this.byId.delete(conversation.id);
    this.byId.set(conversation.id, conversation);
    if (this.byId.size > this.max) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.byId.delete(oldest);
    }
  }

  get size(): number {
    return this.byId.size;
  }
}
