import { cleanIntegrationPatch } from "./records.js";
import { type Integration, type IntegrationStore, UniqueViolation } from "./types.js";

const UNIQUE = ["phoneNumberId", "verifyToken"] as const;

export class MemoryIntegrationStore implements IntegrationStore {
  private readonly rows = new Map<string, Integration>();

  constructor(private readonly now: () => string) {}

  async create(integration: Integration): Promise<Integration> {
    if (this.rows.has(integration.id)) throw new UniqueViolation("id");
    this.checkUnique(integration);
    this.rows.set(integration.id, structuredClone(integration));
    return structuredClone(integration);
  }

  async get(id: string): Promise<Integration | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async getByPhoneNumberId(phoneNumberId: string): Promise<Integration | undefined> {
    return this.findBy("phoneNumberId", phoneNumberId);
  }

  async getByVerifyToken(verifyToken: string): Promise<Integration | undefined> {
    return this.findBy("verifyToken", verifyToken);
  }

  async list(): Promise<Integration[]> {
    return [...this.rows.values()]
      .sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
      )
      .map((i) => structuredClone(i));
  }

  async update(
    id: string,
    patch: Partial<Omit<Integration, "id" | "createdAt">>,
  ): Promise<Integration | undefined> {
    const current = this.rows.get(id);
    if (!current) return undefined;
    const next: Integration = { ...current, updatedAt: this.now(), ...cleanIntegrationPatch(patch) };
    this.checkUnique(next);
    this.rows.set(id, structuredClone(next));
    return structuredClone(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  private checkUnique(candidate: Integration): void {
    for (const field of UNIQUE) {
      for (const row of this.rows.values()) {
        if (row.id !== candidate.id && row[field] === candidate[field]) throw new UniqueViolation(field);
      }
    }
  }

  private findBy(field: (typeof UNIQUE)[number], value: string): Integration | undefined {
    for (const row of this.rows.values()) if (row[field] === value) return structuredClone(row);
    return undefined;
  }
}
