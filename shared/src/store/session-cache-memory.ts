import { readTtl } from "./page.js";
import { readCount, readKeep, type SessionCache, type SessionEntry } from "./session-cache.js";
import type { Conversation } from "./types.js";

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** The session cache in process memory (embedded mode, unit tests); expiry is checked on read. */
export class MemorySessionCache implements SessionCache {
  private readonly conversations = new Map<string, Expiring<Conversation>>();
  private readonly messages = new Map<string, Expiring<SessionEntry[]>>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    readTtl(ttlSeconds);
  }

  async getConversation(id: string): Promise<Conversation | undefined> {
    const hit = this.live(this.conversations, id);
    return hit && structuredClone(hit);
  }

  async putConversation(conversation: Conversation, ttlSeconds = this.ttlSeconds): Promise<void> {
    const expiresAt = this.now() + readTtl(ttlSeconds) * 1000;
    this.conversations.set(conversation.id, { value: structuredClone(conversation), expiresAt });
  }

  async appendMessages(conversationId: string, added: readonly SessionEntry[], keep: number): Promise<void> {
    const max = readKeep(keep);
    if (added.length === 0) return;
    const entries = [...(this.live(this.messages, conversationId) ?? []), ...structuredClone(added)].slice(
      -max,
    );
    this.messages.set(conversationId, { value: entries, expiresAt: this.now() + this.ttlSeconds * 1000 });
  }

  async recent(conversationId: string, n: number): Promise<SessionEntry[]> {
    if (readCount(n) === 0) return [];
    return structuredClone((this.live(this.messages, conversationId) ?? []).slice(-n));
  }

  async clear(conversationId: string): Promise<void> {
    this.conversations.delete(conversationId);
    this.messages.delete(conversationId);
  }

  private live<T>(map: Map<string, Expiring<T>>, id: string): T | undefined {
    const hit = map.get(id);
    if (!hit) return undefined;
    if (hit.expiresAt > this.now()) return hit.value;
    map.delete(id);
    return undefined;
  }
}
