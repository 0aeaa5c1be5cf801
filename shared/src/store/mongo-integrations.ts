import type { Collection } from "mongodb";
import type { Doc } from "./mongo-docs.js";
import { MongoRecords } from "./mongo-records.js";
import type { Integration, IntegrationStore } from "./types.js";

export class MongoIntegrationStore implements IntegrationStore {
  private readonly rows: MongoRecords<Integration>;

  constructor(col: Collection<Doc<Integration>>, now: () => string) {
    this.rows = new MongoRecords(col, ["phoneNumberId", "verifyToken"], now);
  }

  create = (integration: Integration) => this.rows.create(integration);
  get = (id: string) => this.rows.get(id);
  getByPhoneNumberId = (phoneNumberId: string) => this.rows.findBy("phoneNumberId", phoneNumberId);
  getByVerifyToken = (verifyToken: string) => this.rows.findBy("verifyToken", verifyToken);
  list = () => this.rows.list();
  update = (id: string, patch: Partial<Omit<Integration, "id" | "createdAt">>) => this.rows.update(id, patch);
  delete = (id: string) => this.rows.delete(id);
}
