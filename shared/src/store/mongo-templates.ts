import type { Collection } from "mongodb";
import { type Doc, isDuplicateKey, MAX_RACES, strip, tooManyRaces } from "./mongo-docs.js";
import { mergeTemplate, normalizeLanguage, templateKey } from "./template-merge.js";
import type { TemplateRecord, TemplateStore, TemplateUpdate } from "./types.js";

export class MongoTemplateStore implements TemplateStore {
  constructor(
    private readonly col: Collection<Doc<TemplateRecord>>,
    private readonly now: () => string,
  ) {}

  /** Read, merge (template-merge), then compare-and-set on `version`; a first write races on `_id`. */
  async apply(update: TemplateUpdate): Promise<TemplateRecord> {
    const id = templateKey(update.wabaId, update.name, update.language);
    for (let race = 0; race < MAX_RACES; race++) {
      const doc = await this.col.findOne({ _id: id });
      const existing = doc ? strip(doc) : undefined;
      const next = mergeTemplate(existing, update, this.now());
      try {
        if (!existing) {
          await this.col.insertOne({ _id: id, ...next });
          return next;
        }
        const written = await this.col.replaceOne({ _id: id, version: existing.version }, next);
        if (written.matchedCount === 1) return next;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw tooManyRaces("templates.apply", { id });
  }

  async find(key: { wabaId?: string; name: string; language: string }): Promise<TemplateRecord | undefined> {
    const language = normalizeLanguage(key.language);
    const doc = await this.col.findOne(
      { name: key.name, language, ...(key.wabaId === undefined ? {} : { wabaId: key.wabaId }) },
      { sort: { updatedAt: -1 } },
    );
    return doc ? strip(doc) : undefined;
  }
}
