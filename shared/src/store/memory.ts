import { BoundedMap } from "../bounded-map.js";
import { MemoryConversationStore } from "./memory-conversations.js";
import { DEFAULT_MAX_MEMORY_MESSAGES, MemoryMessageStore } from "./memory-messages.js";
import { MemoryRecords } from "./memory-records.js";
import { MemoryTemplateStore } from "./memory-templates.js";
import { MemoryUserStore } from "./memory-users.js";
import { readTtl } from "./page.js";
import {
  agentStore,
  integrationStore,
  UNIQUE_AGENT_FIELDS,
  UNIQUE_INTEGRATION_FIELDS,
} from "./record-stores.js";
import type { Agent, DedupStore, Integration, Stores, Summary, SummaryStore } from "./types.js";

export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number;
  /**
   * Messages kept, oldest dropped first (default 5,000): process memory is not a database. Dedup
   * claims are bounded the same way.
   */
  maxMessages?: number;
}

/**
 * Every store in process memory, for the embedded mode and unit tests. Passes the same contract
 * suite as MongoDB. Reads and writes copy, so callers can never mutate what is stored.
 */
export function createMemoryStores(opts: MemoryStoreOptions = {}): Stores {
  const clock = opts.now ?? Date.now;
  const iso = () => new Date(clock()).toISOString();
  return {
    conversations: new MemoryConversationStore(iso),
    messages: new MemoryMessageStore(opts.maxMessages),
    users: new MemoryUserStore(iso),
    summaries: new MemorySummaryStore(),
    integrations: integrationStore(new MemoryRecords<Integration>(UNIQUE_INTEGRATION_FIELDS, iso)),
    agents: agentStore(new MemoryRecords<Agent>(UNIQUE_AGENT_FIELDS, iso)),
    templates: new MemoryTemplateStore(iso),
    dedup: new MemoryDedupStore(clock, opts.maxMessages),
    init: async () => {},
    health: async () => ({ ok: true, backend: "memory" }),
    close: async () => {},
  };
}

export class MemorySummaryStore implements SummaryStore {
  private readonly rows = new Map<string, Summary>();

  async get(conversationId: string): Promise<Summary | undefined> {
    const row = this.rows.get(conversationId);
    return row && structuredClone(row);
  }

  async put(summary: Summary): Promise<void> {
    this.rows.set(summary.conversationId, structuredClone(summary));
  }
}

/**
 * Claims, the oldest forgotten once there are more than `maxKeys` (BoundedMap): a TTL of days
 * (BUS_DEDUP_TTL_SECONDS) let a busy process grow without end (5 MB after the bench's 86,000
 * messages). A process-memory claim only guards redeliveries within this process's life, which
 * come within minutes; as many as the store keeps messages is plenty.
 */
export class MemoryDedupStore implements DedupStore {
  private readonly expiries: BoundedMap<string, number>;

  constructor(
    private readonly now: () => number,
    maxKeys = DEFAULT_MAX_MEMORY_MESSAGES,
  ) {
    this.expiries = new BoundedMap(maxKeys);
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const ttl = readTtl(ttlSeconds);
    const now = this.now();
    const expiresAt = this.expiries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.expiries.set(key, now + ttl * 1000);
    return true;
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
  }
}
