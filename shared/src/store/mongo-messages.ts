import type { Collection, Filter } from "mongodb";
import { planAmend } from "./message-amend.js";
import { type Doc, isDuplicateKey, MAX_RACES, tooManyRaces } from "./mongo-docs.js";
import { type Position, readLimit, readPage, toPage } from "./page.js";
import { conversationUser, normalizeUser } from "./records.js";
import { applyStatus } from "./status-rank.js";
import type {
  MessageAmendment,
  MessageStore,
  Page,
  PageRequest,
  StatusEntry,
  StatusUpdate,
  StoredMessage,
} from "./types.js";

/** `convUser` (the user part of conversationId) lets listByUser use an index instead of a regex. */
export type MessageDoc = Doc<StoredMessage> & { convUser: string };

const position = (m: StoredMessage): Position => [m.timestamp, m.id];

function toMessage(doc: MessageDoc): StoredMessage {
  const { _id: _ignored, convUser: _derived, ...message } = doc;
  return message;
}

export class MongoMessageStore implements MessageStore {
  constructor(private readonly col: Collection<MessageDoc>) {}

  async insert(message: StoredMessage): Promise<boolean> {
    try {
      await this.col.insertOne({
        ...message,
        _id: message.id,
        convUser: conversationUser(message.conversationId),
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? toMessage(doc) : undefined;
  }

  async getByWamid(wamid: string): Promise<StoredMessage | undefined> {
    const doc = await this.col.findOne({ wamid });
    return doc ? toMessage(doc) : undefined;
  }

  async setWamid(id: string, wamid: string): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { wamid } });
  }

  /**
   * Read, decide (status-rank), then write only if the history has not grown meanwhile: webhooks
   * for one message can arrive together on different instances, and none may be lost.
   */
  async addStatus(wamid: string, entry: StatusEntry): Promise<StatusUpdate> {
    for (let race = 0; race < MAX_RACES; race++) {
      const doc = await this.col.findOne({ wamid }, { projection: { status: 1, statuses: 1 } });
      if (!doc) return "unknown";
      const statuses = doc.statuses ?? [];
      const next = applyStatus({ statuses, ...(doc.status ? { status: doc.status } : {}) }, entry);
      if (next.outcome === "duplicate") return "duplicate";
      const written = await this.col.updateOne(
        { _id: doc._id, statuses: doc.statuses ? { $size: statuses.length } : { $exists: false } },
        {
          $push: { statuses: entry },
          ...(next.outcome === "applied" ? { $set: { status: entry.status } } : {}),
        },
      );
      if (written.matchedCount === 1) return next.outcome;
    }
    throw tooManyRaces("addStatus", { wamid });
  }

  /** Read, plan (message-amend), then write only if no other amendment landed meanwhile. */
  async amend(wamid: string, amendment: MessageAmendment): Promise<"applied" | "duplicate" | "unknown"> {
    for (let race = 0; race < MAX_RACES; race++) {
      const doc = await this.col.findOne({ wamid });
      if (!doc) return "unknown";
      const plan = planAmend(toMessage(doc), amendment);
      if (plan.outcome === "duplicate") return "duplicate";
      const edits = doc.edits ?? [];
      const written = await this.col.updateOne(
        {
          _id: doc._id,
          edits: doc.edits ? { $size: edits.length } : { $exists: false },
          deletedAt: doc.deletedAt ?? { $exists: false },
        },
        { $set: plan.set },
      );
      if (written.matchedCount === 1) return "applied";
    }
    throw tooManyRaces("amend", { wamid });
  }

  async listByConversation(conversationId: string, page: PageRequest): Promise<Page<StoredMessage>> {
    const { limit, after } = readPage(page);
    const query: Filter<MessageDoc> = { conversationId };
    if (after)
      query.$or = [{ timestamp: { $gt: after[0] } }, { timestamp: after[0], _id: { $gt: after[1] } }];
    const docs = await this.col
      .find(query)
      .sort({ timestamp: 1, _id: 1 })
      .limit(limit + 1)
      .toArray();
    return toPage(docs.map(toMessage), limit, position);
  }

  async listByUser(user: string, limit: number): Promise<StoredMessage[]> {
    const max = readLimit(limit);
    const who = normalizeUser(user);
    // Newest first so `limit` keeps the last ones, then flipped to oldest first.
    const cursor = this.col
      .find({ $or: [{ from: who }, { to: who }, { convUser: who }] })
      .sort({ timestamp: -1, _id: -1 });
    if (max > 0) cursor.limit(max);
    return (await cursor.toArray()).map(toMessage).reverse();
  }
}
