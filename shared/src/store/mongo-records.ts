import type { Collection, Filter, OptionalUnlessRequiredId } from "mongodb";
import { type Doc, duplicateField, isDuplicateKey, strip } from "./mongo-docs.js";
import { cleanPatch } from "./records.js";
import { type Agent, type Integration, UniqueViolation } from "./types.js";

type Row = Integration | Agent;

/**
 * Records kept by id with some unique fields (integrations, agents) on MongoDB: the unique indexes
 * (createMongoIndexes) enforce them, and E11000 becomes UniqueViolation naming the field, like the
 * memory store. Lists are oldest first.
 */
export class MongoRecords<T extends Row> {
  constructor(
    private readonly col: Collection<Doc<T>>,
    private readonly unique: readonly (keyof T & string)[],
    private readonly now: () => string,
  ) {}

  async create(row: T): Promise<T> {
    try {
      await this.col.insertOne({ _id: row.id, ...row } as OptionalUnlessRequiredId<Doc<T>>);
      return structuredClone(row);
    } catch (err) {
      return this.rethrowUnique(err);
    }
  }

  async get(id: string): Promise<T | undefined> {
    return this.findOne({ _id: id } as Filter<Doc<T>>);
  }

  async findBy(field: keyof T & string, value: string): Promise<T | undefined> {
    return this.findOne({ [field]: value } as Filter<Doc<T>>);
  }

  async list(): Promise<T[]> {
    const docs = await this.col.find().sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map((d) => strip(d as Doc<T>));
  }

  async update(id: string, patch: Partial<Omit<T, "id" | "createdAt">>): Promise<T | undefined> {
    try {
      const saved = await this.col.findOneAndUpdate(
        { _id: id } as Filter<Doc<T>>,
        { $set: { updatedAt: this.now(), ...cleanPatch<T>(patch) } as Partial<Doc<T>> },
        { returnDocument: "after" },
      );
      return saved ? strip(saved as Doc<T>) : undefined;
    } catch (err) {
      return this.rethrowUnique(err);
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.col.deleteOne({ _id: id } as Filter<Doc<T>>)).deletedCount === 1;
  }

  private async findOne(filter: Filter<Doc<T>>): Promise<T | undefined> {
    const doc = await this.col.findOne(filter);
    return doc ? strip(doc as Doc<T>) : undefined;
  }

  private rethrowUnique(err: unknown): never {
    if (isDuplicateKey(err)) throw new UniqueViolation(duplicateField(err, this.unique));
    throw err;
  }
}
