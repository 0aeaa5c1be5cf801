import type { Collection } from "mongodb";
import type { Doc } from "./mongo-docs.js";
import { MongoRecords } from "./mongo-records.js";
import type { Agent, AgentStore } from "./types.js";

export class MongoAgentStore implements AgentStore {
  private readonly rows: MongoRecords<Agent>;

  constructor(col: Collection<Doc<Agent>>, now: () => string) {
    this.rows = new MongoRecords(col, ["keyHash"], now);
  }

  create = (agent: Agent) => this.rows.create(agent);
  get = (id: string) => this.rows.get(id);
  getByKeyHash = (keyHash: string) => this.rows.findBy("keyHash", keyHash);
  list = () => this.rows.list();
  update = (id: string, patch: Partial<Omit<Agent, "id" | "createdAt">>) => this.rows.update(id, patch);
}
