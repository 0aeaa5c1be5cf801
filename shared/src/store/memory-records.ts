import { cleanPatch } from "./records.js";
import { type Agent, type Integration, UniqueViolation } from "./types.js";

type Row = Integration | Agent;
type Patch<T extends Row> = Partial<Omit<T, "id" | "createdAt">>;

/**
 * Records kept by id with some unique fields (integrations, agents), in process memory. Reads and
 * writes copy; lists are oldest first.
 */
export class MemoryRecords<T extends Row> {
  private readonly rows = new Map<string, T>();

  constructor(
    private readonly unique: readonly (keyof T & string)[],
    private readonly now: () => string,
  ) {}

  async create(row: T): Promise<T> {
    if (this.rows.has(row.id)) throw new UniqueViolation("id");
    this.checkUnique(row);
    this.rows.set(row.id, structuredClone(row));
    return structuredClone(row);
  }

  async get(id: string): Promise<T | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async findBy(field: keyof T & string, value: string): Promise<T | undefined> {
    for (const row of this.rows.values()) if (row[field] === value) return structuredClone(row);
    return undefined;
  }

  async list(): Promise<T[]> {
    return [...this.rows.values()]
      .sort((a, b) =>
        a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
      )
      .map((row) => structuredClone(row));
  }

  async update(id: string, patch: Patch<T>): Promise<T | undefined> {
    const current = this.rows.get(id);
    if (!current) return undefined;
    const next = { ...current, updatedAt: this.now(), ...cleanPatch<T>(patch) } as T;
    this.checkUnique(next);
    this.rows.set(id, structuredClone(next));
    return structuredClone(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  private checkUnique(candidate: T): void {
    for (const field of this.unique) {
      for (const row of this.rows.values()) {
        if (row.id !== candidate.id && row[field] === candidate[field]) throw new UniqueViolation(field);
      }
    }
  }
}
