import { mergeTemplate, normalizeLanguage, templateKey } from "./template-merge.js";
import type { TemplateRecord, TemplateStore, TemplateUpdate } from "./types.js";

export class MemoryTemplateStore implements TemplateStore {
  private readonly rows = new Map<string, TemplateRecord>();

  constructor(private readonly now: () => string) {}

  async apply(update: TemplateUpdate): Promise<TemplateRecord> {
    const id = templateKey(update.wabaId, update.name, update.language);
    const next = mergeTemplate(this.rows.get(id), update, this.now());
    this.rows.set(id, structuredClone(next));
    return next;
  }

  async find(key: { wabaId?: string; name: string; language: string }): Promise<TemplateRecord | undefined> {
    const language = normalizeLanguage(key.language);
    let found: TemplateRecord | undefined;
    for (const row of this.rows.values()) {
      if (row.name !== key.name || row.language !== language) continue;
      if (key.wabaId !== undefined && row.wabaId !== key.wabaId) continue;
      if (!found || row.updatedAt > found.updatedAt) found = row;
    }
    return found && structuredClone(found);
  }
}
