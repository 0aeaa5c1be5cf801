import { type Db, MongoClient } from "mongodb";
import type { Logger } from "pino";
import { errorMessage } from "../errors.js";
import {
  type ConnectOptions,
  connectWithin,
  DEFAULT_CONNECT_TIMEOUT_MS,
  pause,
} from "../lifecycle/connect.js";
import { MongoConversationStore } from "./mongo-conversations.js";
import type { Doc } from "./mongo-docs.js";
import { type MessageDoc, MongoMessageStore } from "./mongo-messages.js";
import { MongoRecords } from "./mongo-records.js";
import { type DedupDoc, MongoDedupStore, MongoSummaryStore, type SummaryDoc } from "./mongo-small-stores.js";
import { MongoTemplateStore } from "./mongo-templates.js";
import { MongoUserStore } from "./mongo-users.js";
import {
  agentStore,
  integrationStore,
  UNIQUE_AGENT_FIELDS,
  UNIQUE_INTEGRATION_FIELDS,
} from "./record-stores.js";
import type { Agent, Conversation, Integration, Stores, TemplateRecord, User } from "./types.js";

export interface MongoStoreOptions {
  uri: string;
  db: string;
  /** Milliseconds since the epoch; tests may pass a fake clock. */
  now?: () => number;
}

/** Collection names (docs/architecture.md "Data"). Public: other tools read these collections. */
export const MONGO_COLLECTIONS = {
  users: "users",
  conversations: "conversations",
  messages: "messages",
  summaries: "summaries",
  integrations: "integrations",
  agents: "agents",
  templates: "templates",
  dedup: "dedup",
} as const;

/**
 * Every store on MongoDB with the official driver. Documents use the domain id as `_id`
 * (conversation id, message id, user id, integration id, agent id, conversation id for summaries,
 * the dedup key), which makes those unique without extra indexes.
 */
export async function createMongoStores(
  opts: MongoStoreOptions,
  log: Logger,
  connect: ConnectOptions = {},
): Promise<Stores> {
  const client = await connectWithin(
    { service: "MongoDB", url: opts.uri, variable: "MONGODB_URI" },
    async (signal, failed) => {
      const budget = connect.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      for (;;) {
        // ignoreUndefined: an absent optional field is not stored as null, matching the memory
        // store. serverSelectionTimeoutMS also bounds each operation while MongoDB is away; at
        // start, under the connect timeout, so the driver's own error (ECONNREFUSED…) comes first.
        const c = new MongoClient(opts.uri, {
          appName: "flank",
          ignoreUndefined: true,
          serverSelectionTimeoutMS: Math.min(Math.max(budget - 250, 250), 5000),
        });
        const close = () => void c.close().catch(() => undefined);
        signal.addEventListener("abort", close, { once: true });
        try {
          await c.connect();
          if (!signal.aborted) return c;
          throw new Error("connected after the deadline");
        } catch (err) {
          close();
          if (signal.aborted) throw err;
          failed(err);
          await pause(250, signal);
        } finally {
          signal.removeEventListener("abort", close);
        }
      }
    },
    connect,
  );
  const db = client.db(opts.db);
  const clock = opts.now ?? Date.now;
  const iso = () => new Date(clock()).toISOString();
  let closed = false;
  return {
    conversations: new MongoConversationStore(
      db.collection<Doc<Conversation>>(MONGO_COLLECTIONS.conversations),
      iso,
    ),
    messages: new MongoMessageStore(db.collection<MessageDoc>(MONGO_COLLECTIONS.messages)),
    users: new MongoUserStore(db.collection<Doc<User>>(MONGO_COLLECTIONS.users), iso),
    summaries: new MongoSummaryStore(db.collection<SummaryDoc>(MONGO_COLLECTIONS.summaries)),
    integrations: integrationStore(
      new MongoRecords(
        db.collection<Doc<Integration>>(MONGO_COLLECTIONS.integrations),
        UNIQUE_INTEGRATION_FIELDS,
        iso,
      ),
    ),
    agents: agentStore(
      new MongoRecords(db.collection<Doc<Agent>>(MONGO_COLLECTIONS.agents), UNIQUE_AGENT_FIELDS, iso),
    ),
    templates: new MongoTemplateStore(db.collection<Doc<TemplateRecord>>(MONGO_COLLECTIONS.templates), iso),
    dedup: new MongoDedupStore(db.collection<DedupDoc>(MONGO_COLLECTIONS.dedup), clock),
    init: async () => {
      await createMongoIndexes(db);
      log.info({ db: opts.db }, "mongo indexes ready");
    },
    health: async () => {
      try {
        await db.command({ ping: 1 });
        return { ok: true, backend: "mongo" };
      } catch (err) {
        return { ok: false, backend: "mongo", detail: errorMessage(err) };
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** Idempotent: createIndexes with the same keys and options is a no-op on the server. */
export async function createMongoIndexes(db: Db): Promise<void> {
  const c = MONGO_COLLECTIONS;
  await Promise.all([
    db.collection(c.conversations).createIndexes([
      { key: { tenant: 1, route: 1, updatedAt: -1 }, name: "tenant_route" },
      { key: { tenant: 1, stage: 1, updatedAt: -1 }, name: "tenant_stage" },
      { key: { agentId: 1, updatedAt: -1 }, name: "agent" },
      // The agent queue across tenants (console lists, the queue-length metric).
      { key: { route: 1, updatedAt: -1 }, name: "route" },
      { key: { updatedAt: -1, _id: -1 }, name: "updated" },
    ]),
    db.collection(c.messages).createIndexes([
      { key: { wamid: 1 }, name: "wamid", sparse: true },
      { key: { conversationId: 1, timestamp: 1, _id: 1 }, name: "conversation_time" },
      { key: { from: 1, timestamp: -1, _id: -1 }, name: "from" },
      { key: { to: 1, timestamp: -1, _id: -1 }, name: "to" },
      { key: { convUser: 1, timestamp: -1, _id: -1 }, name: "conversation_user" },
    ]),
    db.collection(c.users).createIndexes([
      {
        key: { tenant: 1, waId: 1 },
        name: "tenant_waId",
        unique: true,
        partialFilterExpression: { waId: { $type: "string" } },
      },
      {
        key: { tenant: 1, userId: 1 },
        name: "tenant_userId",
        unique: true,
        partialFilterExpression: { userId: { $type: "string" } },
      },
    ]),
    db.collection(c.integrations).createIndexes([
      { key: { phoneNumberId: 1 }, name: "phoneNumberId_unique", unique: true },
      { key: { verifyToken: 1 }, name: "verifyToken_unique", unique: true },
      { key: { createdAt: 1, _id: 1 }, name: "created" },
    ]),
    db.collection(c.agents).createIndexes([
      { key: { keyHash: 1 }, name: "keyHash_unique", unique: true },
      { key: { createdAt: 1, _id: 1 }, name: "created" },
    ]),
    db
      .collection(c.templates)
      .createIndexes([{ key: { name: 1, language: 1, updatedAt: -1 }, name: "name_language" }]),
    db.collection(c.dedup).createIndexes([{ key: { expiresAt: 1 }, name: "ttl", expireAfterSeconds: 0 }]),
  ]);
}
