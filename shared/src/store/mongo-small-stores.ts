import type { Collection } from "mongodb";
import { type Doc, isDuplicateKey, strip } from "./mongo-docs.js";
import { readTtl } from "./page.js";
import type { DedupStore, Summary, SummaryStore } from "./types.js";

export type SummaryDoc = Doc<Summary>;

export class MongoSummaryStore implements SummaryStore {
  constructor(private readonly col: Collection<SummaryDoc>) {}

  async get(conversationId: string): Promise<Summary | undefined> {
    const doc = await this.col.findOne({ _id: conversationId });
    return doc ? strip(doc) : undefined;
  }

  async put(summary: Summary): Promise<void> {
    const doc = { _id: summary.conversationId, ...summary };
    try {
      await this.col.replaceOne({ _id: doc._id }, doc, { upsert: true });
    } catch (err) {
      // Two first puts race on the upsert; the loser's replace now finds the document.
      if (!isDuplicateKey(err)) throw err;
      await this.col.replaceOne({ _id: doc._id }, doc);
    }
  }
}

export interface DedupDoc {
  _id: string;
  /** A Date, so the TTL index removes the key; until the TTL monitor runs, claim checks it. */
  expiresAt: Date;
}

export class MongoDedupStore implements DedupStore {
  constructor(
    private readonly col: Collection<DedupDoc>,
    private readonly now: () => number,
  ) {}

  /**
   * One atomic write: an expired key is taken over by the update; a missing key is inserted by
   * the upsert; a live key makes the upsert collide on `_id` (E11000), which means "taken".
   */
  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const ttl = readTtl(ttlSeconds);
    const now = this.now();
    try {
      await this.col.updateOne(
        { _id: key, expiresAt: { $lte: new Date(now) } },
        { $set: { expiresAt: new Date(now + ttl * 1000) } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async release(key: string): Promise<void> {
    await this.col.deleteOne({ _id: key });
  }
}
