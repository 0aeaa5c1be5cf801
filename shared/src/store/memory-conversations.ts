import { comparePositions, type Position, readPage, toPage } from "./page.js";
import { conversationFrom, matchesFilter } from "./records.js";
import type {
  Conversation,
  ConversationDraft,
  ConversationFilter,
  ConversationStore,
  Page,
  PageRequest,
  SaveResult,
} from "./types.js";

const position = (c: Conversation): Position => [c.updatedAt, c.id];

export class MemoryConversationStore implements ConversationStore {
  private readonly rows = new Map<string, Conversation>();

  constructor(private readonly now: () => string) {}

  async get(id: string): Promise<Conversation | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async save(draft: ConversationDraft, expectedVersion: number): Promise<SaveResult> {
    const current = this.rows.get(draft.id);
    const copy = () => current && structuredClone(current);
    if ((current?.version ?? 0) !== expectedVersion) return { ok: false, current: copy() };
    const now = this.now();
    const saved = conversationFrom(
      draft,
      expectedVersion + 1,
      current?.createdAt ?? draft.createdAt ?? now,
      now,
    );
    this.rows.set(saved.id, saved);
    return { ok: true, conversation: structuredClone(saved) };
  }

  async list(filter: ConversationFilter, page: PageRequest): Promise<Page<Conversation>> {
    const { limit, after } = readPage(page);
    const rows = [...this.rows.values()]
      .filter((c) => matchesFilter(c, filter))
      .sort((a, b) => comparePositions(position(b), position(a)))
      .filter((c) => after === undefined || comparePositions(position(c), after) < 0)
      .slice(0, limit + 1)
      .map((c) => structuredClone(c));
    return toPage(rows, limit, position);
  }

  async count(filter: ConversationFilter): Promise<number> {
    let n = 0;
    for (const c of this.rows.values()) if (matchesFilter(c, filter)) n++;
    return n;
  }
}
