import { planAmend } from "./message-amend.js";
import { comparePositions, type Position, readLimit, readPage, toPage } from "./page.js";
import { messageMatchesUser, normalizeUser } from "./records.js";
import { applyStatus } from "./status-rank.js";
import type {
  MessageAmendment,
  MessageStore,
  Page,
  PageRequest,
  StatusEntry,
  StatusUpdate,
  StoredMessage,
} from "./types.js";

const position = (m: StoredMessage): Position => [m.timestamp, m.id];
const oldestFirst = (a: StoredMessage, b: StoredMessage) => comparePositions(position(a), position(b));

export const DEFAULT_MAX_MEMORY_MESSAGES = 10_000;

export class MemoryMessageStore implements MessageStore {
  private readonly rows = new Map<string, StoredMessage>();
  /** wamid → id; status webhooks look messages up by wamid. */
  private readonly wamids = new Map<string, string>();

  constructor(private readonly maxRows = DEFAULT_MAX_MEMORY_MESSAGES) {}

  async insert(message: StoredMessage): Promise<boolean> {
    if (this.rows.has(message.id)) return false;
    this.rows.set(message.id, structuredClone(message));
    if (message.wamid) this.indexWamid(message.wamid, message.id);
    // A Map iterates in insertion order: the first key is the oldest message.
    while (this.rows.size > this.maxRows) this.drop(this.rows.keys().next().value as string);
    return true;
  }

  private drop(id: string): void {
    const wamid = this.rows.get(id)?.wamid;
    this.rows.delete(id);
    if (wamid !== undefined && this.wamids.get(wamid) === id) this.wamids.delete(wamid);
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async getByWamid(wamid: string): Promise<StoredMessage | undefined> {
    const row = this.findByWamid(wamid);
    return row && structuredClone(row);
  }

  async setWamid(id: string, wamid: string): Promise<void> {
    const row = this.rows.get(id);
    if (!row) return;
    row.wamid = wamid;
    this.indexWamid(wamid, id);
  }

  async addStatus(wamid: string, entry: StatusEntry): Promise<StatusUpdate> {
    const row = this.findByWamid(wamid);
    if (!row) return "unknown";
    const next = applyStatus(row, structuredClone(entry));
    row.statuses = next.statuses;
    if (next.status !== undefined) row.status = next.status;
    return next.outcome;
  }

  async amend(wamid: string, amendment: MessageAmendment): Promise<"applied" | "duplicate" | "unknown"> {
    const row = this.findByWamid(wamid);
    if (!row) return "unknown";
    const plan = planAmend(row, amendment);
    if (plan.outcome === "applied") Object.assign(row, structuredClone(plan.set));
    return plan.outcome;
  }

  async listByConversation(conversationId: string, page: PageRequest): Promise<Page<StoredMessage>> {
    const { limit, after } = readPage(page);
    const rows = [...this.rows.values()]
      .filter((m) => m.conversationId === conversationId)
      .sort(oldestFirst)
      .filter((m) => after === undefined || comparePositions(position(m), after) > 0)
      .slice(0, limit + 1)
      .map((m) => structuredClone(m));
    return toPage(rows, limit, position);
  }

  async listByUser(user: string, limit: number): Promise<StoredMessage[]> {
    const max = readLimit(limit);
    const who = normalizeUser(user);
    const rows = [...this.rows.values()].filter((m) => messageMatchesUser(m, who)).sort(oldestFirst);
    return (max === 0 ? rows : rows.slice(-max)).map((m) => structuredClone(m));
  }

  private indexWamid(wamid: string, id: string): void {
    if (!this.wamids.has(wamid)) this.wamids.set(wamid, id);
  }

  private findByWamid(wamid: string): StoredMessage | undefined {
    const id = this.wamids.get(wamid);
    const row = id === undefined ? undefined : this.rows.get(id);
    return row?.wamid === wamid ? row : undefined;
  }
}
