import { MemoryRecords } from "./memory-records.js";
import type { Agent, AgentStore } from "./types.js";

export class MemoryAgentStore implements AgentStore {
  private readonly rows: MemoryRecords<Agent>;

  constructor(now: () => string) {
    this.rows = new MemoryRecords<Agent>(["keyHash"], now);
  }

  create = (agent: Agent) => this.rows.create(agent);
  get = (id: string) => this.rows.get(id);
  getByKeyHash = (keyHash: string) => this.rows.findBy("keyHash", keyHash);
  list = () => this.rows.list();
  update = (id: string, patch: Partial<Omit<Agent, "id" | "createdAt">>) => this.rows.update(id, patch);
}
