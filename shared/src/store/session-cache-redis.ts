import type { Logger } from "pino";
import { redisSessionKey, redisSessionMessagesKey } from "../events/names.js";
import type { RedisClient } from "../redis/client.js";
import { readTtl } from "./page.js";
import {
  ConversationSnapshot,
  readCount,
  readKeep,
  type SessionCache,
  type SessionEntry,
  SessionEntrySchema,
  wholeSeconds,
} from "./session-cache.js";
import type { Conversation } from "./types.js";

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The session cache on Redis: the conversation as a JSON string with EX, the recent messages as a
 * list trimmed once longer than kept. Takes a connected client (connectRedis); does not close it.
 */
export class RedisSessionCache implements SessionCache {
  constructor(
    private readonly client: RedisClient,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
  ) {
    readTtl(ttlSeconds);
  }

  async getConversation(id: string): Promise<Conversation | undefined> {
    const text = await this.client.get(redisSessionKey(id));
    if (text === null) return undefined;
    const parsed = ConversationSnapshot.safeParse(parseJson(String(text)));
    if (parsed.success) return parsed.data;
    // A bad entry is a miss: the caller reloads from the store and overwrites it.
    this.log.warn({ conversationId: id }, "session cache: invalid conversation snapshot ignored");
    return undefined;
  }

  async putConversation(conversation: Conversation, ttlSeconds = this.ttlSeconds): Promise<void> {
    const ttl = wholeSeconds(readTtl(ttlSeconds));
    await this.client.set(redisSessionKey(conversation.id), JSON.stringify(conversation), {
      expiration: { type: "EX", value: ttl },
    });
  }

  async appendMessages(
    conversationId: string,
    entries: readonly SessionEntry[],
    keep: number,
  ): Promise<void> {
    const max = readKeep(keep);
    if (entries.length === 0) return;
    const key = redisSessionMessagesKey(conversationId);
    // RPUSH and EXPIRE go out together (one round trip); LTRIM only once the list is longer than
    // kept. Plain commands rather than a script: EVALSHA is one more command for Redis to run and
    // count (docs/architecture.md, "Data"). Not atomic, and need not be:
    // readers take the last n, and every writer trims to the same `keep` from the tail.
    const [length] = await Promise.all([
      this.client.rPush(
        key,
        entries.map((e) => JSON.stringify(e)),
      ),
      this.client.expire(key, wholeSeconds(this.ttlSeconds)),
    ]);
    if (length > max) await this.client.lTrim(key, -max, -1);
  }

  async recent(conversationId: string, n: number): Promise<SessionEntry[]> {
    if (readCount(n) === 0) return [];
    const items = await this.client.lRange(redisSessionMessagesKey(conversationId), -n, -1);
    const entries: SessionEntry[] = [];
    for (const item of items) {
      const parsed = SessionEntrySchema.safeParse(parseJson(String(item)));
      if (parsed.success) entries.push(parsed.data);
      else this.log.warn({ conversationId }, "session cache: invalid entry skipped");
    }
    return entries;
  }

  async clear(conversationId: string): Promise<void> {
    await this.client.del([redisSessionKey(conversationId), redisSessionMessagesKey(conversationId)]);
  }
}
