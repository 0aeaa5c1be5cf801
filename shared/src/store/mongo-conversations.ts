import type { Collection, Filter } from "mongodb";
import type { Route } from "../events/schemas.js";
import { type Doc, isDuplicateKey, strip } from "./mongo-docs.js";
import { type Position, readPage, toPage } from "./page.js";
import { conversationFrom, OPTIONAL_CONVERSATION_KEYS } from "./records.js";
import type {
  Conversation,
  ConversationDraft,
  ConversationFilter,
  ConversationStore,
  Page,
  PageRequest,
  SaveResult,
} from "./types.js";

type ConversationDoc = Doc<Conversation>;
const position = (c: Conversation): Position => [c.updatedAt, c.id];

export class MongoConversationStore implements ConversationStore {
  constructor(
    private readonly col: Collection<ConversationDoc>,
    private readonly now: () => string,
  ) {}

  async get(id: string): Promise<Conversation | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? strip(doc) : undefined;
  }

  async save(draft: ConversationDraft, expectedVersion: number): Promise<SaveResult> {
    const now = this.now();
    if (expectedVersion === 0) {
      const created = conversationFrom(draft, 1, draft.createdAt ?? now, now);
      try {
        await this.col.insertOne({ _id: created.id, ...created });
        return { ok: true, conversation: created };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        return { ok: false, current: await this.get(draft.id) };
      }
    }
    // Only the stored version may be replaced; createdAt stays as stored.
    const { createdAt: _createdAt, version: _version, ...fields } = conversationFrom(draft, 0, "", now);
    const cleared = OPTIONAL_CONVERSATION_KEYS.filter((k) => fields[k] === undefined);
    const saved = await this.col.findOneAndUpdate(
      { _id: draft.id, version: expectedVersion },
      {
        $set: fields,
        $inc: { version: 1 },
        ...(cleared.length ? { $unset: Object.fromEntries(cleared.map((k) => [k, ""])) } : {}),
      },
      { returnDocument: "after" },
    );
    return saved
      ? { ok: true, conversation: strip(saved) }
      : { ok: false, current: await this.get(draft.id) };
  }

  async list(filter: ConversationFilter, page: PageRequest): Promise<Page<Conversation>> {
    const { limit, after } = readPage(page);
    const query = queryOf(filter);
    if (after)
      query.$or = [{ updatedAt: { $lt: after[0] } }, { updatedAt: after[0], _id: { $lt: after[1] } }];
    const docs = await this.col
      .find(query)
      .sort({ updatedAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    return toPage(docs.map(strip), limit, position);
  }

  async count(filter: ConversationFilter): Promise<number> {
    return this.col.countDocuments(queryOf(filter));
  }
}

function queryOf(filter: ConversationFilter): Filter<ConversationDoc> {
  const query: Filter<ConversationDoc> = {};
  const tenants = [
    ...(filter.tenant === undefined ? [] : [{ tenant: filter.tenant }]),
    ...(filter.tenants === undefined ? [] : [{ tenant: { $in: [...filter.tenants] } }]),
  ];
  if (tenants.length) query.$and = tenants;
  if (filter.route !== undefined) query.route = filter.route as Route; // any string filters; only routes match
  if (filter.stage !== undefined) query.stage = filter.stage;
  if (filter.agentId !== undefined) query.agentId = filter.agentId;
  return query;
}
