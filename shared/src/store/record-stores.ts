import type { Agent, AgentStore, Integration, IntegrationStore } from "./types.js";

/** Records kept by id with some unique fields: MemoryRecords or MongoRecords, one per backend. */
export interface Records<T extends Integration | Agent> {
  create(row: T): Promise<T>;
  get(id: string): Promise<T | undefined>;
  findBy(field: keyof T & string, value: string): Promise<T | undefined>;
  list(): Promise<T[]>;
  update(id: string, patch: Partial<Omit<T, "id" | "createdAt">>): Promise<T | undefined>;
  delete(id: string): Promise<boolean>;
}

/** The fields each kind of record keeps unique (the Mongo indexes say the same). */
export const UNIQUE_INTEGRATION_FIELDS = ["phoneNumberId", "verifyToken"] as const;
export const UNIQUE_AGENT_FIELDS = ["keyHash"] as const;

/** The integration store over either backend's records. */
export function integrationStore(rows: Records<Integration>): IntegrationStore {
  return {
    create: (integration) => rows.create(integration),
    get: (id) => rows.get(id),
    getByPhoneNumberId: (phoneNumberId) => rows.findBy("phoneNumberId", phoneNumberId),
    getByVerifyToken: (verifyToken) => rows.findBy("verifyToken", verifyToken),
    list: () => rows.list(),
    update: (id, patch) => rows.update(id, patch),
    delete: (id) => rows.delete(id),
  };
}

/** The agent store over either backend's records. */
export function agentStore(rows: Records<Agent>): AgentStore {
  return {
    create: (agent) => rows.create(agent),
    get: (id) => rows.get(id),
    getByKeyHash: (keyHash) => rows.findBy("keyHash", keyHash),
    list: () => rows.list(),
    update: (id, patch) => rows.update(id, patch),
  };
}
