import type { Logger } from "pino";
import { redisSessionKey, redisSessionMessagesKey } from "../events/names.js";
import { type RedisClient, RedisScript } from "../redis/client.js";
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

// RPUSH, LTRIM and EXPIRE as one command: one script call instead of MULTI, three commands and
// EXEC (five commands for the client to encode and Redis to parse). Atomic, like the MULTI was.
// LTRIM only once the list is longer than kept: a conversation's first exchanges skip it.
// KEYS: the list. ARGV: keep, ttl seconds, then the entries (pushed 1,000 at a time: unpack's limit).
const APPEND_MESSAGES = new RedisScript(`
local keep, len = tonumber(ARGV[1]), 0
for i = 3, #ARGV, 1000 do len = redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
if len > keep then redis.call('LTRIM', KEYS[1], -keep, -1) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The session cache on Redis: the conversation as a JSON string with EX, the recent messages as a
 * list trimmed on every append. Takes a connected client (connectRedis); does not close it.
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
    const args: (string | number)[] = [max, wholeSeconds(this.ttlSeconds)];
    for (const e of entries) args.push(JSON.stringify(e));
    await APPEND_MESSAGES.run(this.client, [redisSessionMessagesKey(conversationId)], args);
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
