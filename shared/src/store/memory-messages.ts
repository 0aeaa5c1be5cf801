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

/**
 * A stored message as one JSON text, with the fields that lists, lookups and the bound use kept
 * beside it. An object tree per message (the normalized fields, statuses and Meta's original
 * object) cost ~2.4 KB of heap each, with a hidden class of its own: 10,000 messages were ~24 MB
 * of a worker's live heap. The text is parsed only when a message is read or changed.
 */
class Row {
  constructor(
    readonly id: string,
    public wamid: string | undefined,
    readonly conversationId: string,
    readonly from: string,
    readonly to: string,
    readonly timestamp: string,
    public json: string,
  ) {}

  static of(message: StoredMessage): Row {
    const { id, wamid, conversationId, from, to, timestamp } = message;
    return new Row(id, wamid, conversationId, from, to, timestamp, JSON.stringify(message));
  }

  read(): StoredMessage {
    return JSON.parse(this.json) as StoredMessage;
  }

  /** Reads, changes and stores the message again. */
  change<T>(edit: (message: StoredMessage) => T): T {
    const message = this.read();
    const result = edit(message);
    this.json = JSON.stringify(message);
    return result;
  }
}

const position = (m: Pick<StoredMessage, "timestamp" | "id">): Position => [m.timestamp, m.id];
const oldestFirst = (a: Row, b: Row) => comparePositions(position(a), position(b));

export const DEFAULT_MAX_MEMORY_MESSAGES = 5_000;

export class MemoryMessageStore implements MessageStore {
  private readonly rows = new Map<string, Row>();
  /** wamid → id; status webhooks look messages up by wamid. */
  private readonly wamids = new Map<string, string>();

  constructor(private readonly maxRows = DEFAULT_MAX_MEMORY_MESSAGES) {}

  async insert(message: StoredMessage): Promise<boolean> {
    if (this.rows.has(message.id)) return false;
    this.rows.set(message.id, Row.of(message));
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
    return row?.read();
  }

  async getByWamid(wamid: string): Promise<StoredMessage | undefined> {
    return this.findByWamid(wamid)?.read();
  }

  async setWamid(id: string, wamid: string): Promise<void> {
    const row = this.rows.get(id);
    if (!row) return;
    row.wamid = wamid;
    row.change((m) => {
      m.wamid = wamid;
    });
    this.indexWamid(wamid, id);
  }

  async addStatus(wamid: string, entry: StatusEntry): Promise<StatusUpdate> {
    const row = this.findByWamid(wamid);
    if (!row) return "unknown";
    return row.change((m) => {
      const next = applyStatus(m, entry);
      m.statuses = next.statuses;
      if (next.status !== undefined) m.status = next.status;
      return next.outcome;
    });
  }

  async amend(wamid: string, amendment: MessageAmendment): Promise<"applied" | "duplicate" | "unknown"> {
    const row = this.findByWamid(wamid);
    if (!row) return "unknown";
    return row.change((m) => {
      const plan = planAmend(m, amendment);
      if (plan.outcome === "applied") Object.assign(m, plan.set);
      return plan.outcome;
    });
  }

  async listByConversation(conversationId: string, page: PageRequest): Promise<Page<StoredMessage>> {
    const { limit, after } = readPage(page);
    const rows = [...this.rows.values()]
      .filter((m) => m.conversationId === conversationId)
      .sort(oldestFirst)
      .filter((m) => after === undefined || comparePositions(position(m), after) > 0)
      .slice(0, limit + 1)
      .map((row) => row.read());
    return toPage(rows, limit, position);
  }

  async listByUser(user: string, limit: number): Promise<StoredMessage[]> {
    const max = readLimit(limit);
    const who = normalizeUser(user);
    const rows = [...this.rows.values()].filter((m) => messageMatchesUser(m, who)).sort(oldestFirst);
    return (max === 0 ? rows : rows.slice(-max)).map((row) => row.read());
  }

  private indexWamid(wamid: string, id: string): void {
    if (!this.wamids.has(wamid)) this.wamids.set(wamid, id);
  }

  private findByWamid(wamid: string): Row | undefined {
    const id = this.wamids.get(wamid);
    const row = id === undefined ? undefined : this.rows.get(id);
    return row?.wamid === wamid ? row : undefined;
  }
}
