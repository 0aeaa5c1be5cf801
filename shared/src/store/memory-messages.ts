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
 * A stored message with Meta's original object kept as its JSON text: one string instead of a
 * tree of small objects and strings that repeat the normalized fields (about half of a message's
 * heap; 10,000 messages held ~20 MB in a worker). Read back only when a message is read.
 */
type Row = Omit<StoredMessage, "raw"> & { rawJson: string | undefined };

const toRow = ({ raw, ...rest }: StoredMessage): Row => ({
  ...structuredClone(rest),
  rawJson: raw === undefined ? undefined : JSON.stringify(raw),
});
const fromRow = ({ rawJson, ...rest }: Row): StoredMessage => ({
  ...structuredClone(rest),
  raw: rawJson === undefined ? undefined : JSON.parse(rawJson),
});

const position = (m: Pick<StoredMessage, "timestamp" | "id">): Position => [m.timestamp, m.id];
const oldestFirst = (a: Row, b: Row) => comparePositions(position(a), position(b));

export const DEFAULT_MAX_MEMORY_MESSAGES = 10_000;

export class MemoryMessageStore implements MessageStore {
  private readonly rows = new Map<string, Row>();
  /** wamid → id; status webhooks look messages up by wamid. */
  private readonly wamids = new Map<string, string>();

  constructor(private readonly maxRows = DEFAULT_MAX_MEMORY_MESSAGES) {}

  async insert(message: StoredMessage): Promise<boolean> {
    if (this.rows.has(message.id)) return false;
    this.rows.set(message.id, toRow(message));
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
    return row && fromRow(row);
  }

  async getByWamid(wamid: string): Promise<StoredMessage | undefined> {
    const row = this.findByWamid(wamid);
    return row && fromRow(row);
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
      .map(fromRow);
    return toPage(rows, limit, position);
  }

  async listByUser(user: string, limit: number): Promise<StoredMessage[]> {
    const max = readLimit(limit);
    const who = normalizeUser(user);
    const rows = [...this.rows.values()].filter((m) => messageMatchesUser(m, who)).sort(oldestFirst);
    return (max === 0 ? rows : rows.slice(-max)).map(fromRow);
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
