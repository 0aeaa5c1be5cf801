import type { Collection } from "mongodb";
import { type Doc, duplicateField, isDuplicateKey, strip } from "./mongo-docs.js";
import { cleanIntegrationPatch } from "./records.js";
import { type Integration, type IntegrationStore, UniqueViolation } from "./types.js";

type IntegrationDoc = Doc<Integration>;
const UNIQUE = ["phoneNumberId", "verifyToken"] as const;

/** E11000 from the unique indexes becomes UniqueViolation naming the field, like the memory store. */
function rethrowUnique(err: unknown): never {
  if (isDuplicateKey(err)) throw new UniqueViolation(duplicateField(err, UNIQUE));
  throw err;
}

export class MongoIntegrationStore implements IntegrationStore {
  constructor(
    private readonly col: Collection<IntegrationDoc>,
    private readonly now: () => string,
  ) {}

  async create(integration: Integration): Promise<Integration> {
    try {
      await this.col.insertOne({ _id: integration.id, ...integration });
      return structuredClone(integration);
    } catch (err) {
      return rethrowUnique(err);
    }
  }

  async get(id: string): Promise<Integration | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? strip(doc) : undefined;
  }

  async getByPhoneNumberId(phoneNumberId: string): Promise<Integration | undefined> {
    const doc = await this.col.findOne({ phoneNumberId });
    return doc ? strip(doc) : undefined;
  }

  async getByVerifyToken(verifyToken: string): Promise<Integration | undefined> {
    const doc = await this.col.findOne({ verifyToken });
    return doc ? strip(doc) : undefined;
  }

  async list(): Promise<Integration[]> {
    return (await this.col.find().sort({ createdAt: 1, _id: 1 }).toArray()).map(strip);
  }

  async update(
    id: string,
    patch: Partial<Omit<Integration, "id" | "createdAt">>,
  ): Promise<Integration | undefined> {
    try {
      const saved = await this.col.findOneAndUpdate(
        { _id: id },
        { $set: { updatedAt: this.now(), ...cleanIntegrationPatch(patch) } },
        { returnDocument: "after" },
      );
      return saved ? strip(saved) : undefined;
    } catch (err) {
      return rethrowUnique(err);
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.col.deleteOne({ _id: id })).deletedCount === 1;
  }
}
