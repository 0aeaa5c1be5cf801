import { MemoryRecords } from "./memory-records.js";
import type { Integration, IntegrationStore } from "./types.js";

export class MemoryIntegrationStore implements IntegrationStore {
  private readonly rows: MemoryRecords<Integration>;

  constructor(now: () => string) {
    this.rows = new MemoryRecords<Integration>(["phoneNumberId", "verifyToken"], now);
  }

  create = (integration: Integration) => this.rows.create(integration);
  get = (id: string) => this.rows.get(id);
  getByPhoneNumberId = (phoneNumberId: string) => this.rows.findBy("phoneNumberId", phoneNumberId);
  getByVerifyToken = (verifyToken: string) => this.rows.findBy("verifyToken", verifyToken);
  list = () => this.rows.list();
  update = (id: string, patch: Partial<Omit<Integration, "id" | "createdAt">>) => this.rows.update(id, patch);
  delete = (id: string) => this.rows.delete(id);
}
