import { newId } from "../events/event.js";
import type { User, UserSighting, UserStore } from "./types.js";
import { planUserUpsert, sightingKeys } from "./user-link.js";

export class MemoryUserStore implements UserStore {
  private readonly rows = new Map<string, User>();

  constructor(private readonly now: () => string) {}

  async upsert(seen: UserSighting): Promise<User> {
    const keys = sightingKeys(seen);
    const byWaId = keys.waId ? this.findRow(seen.tenant, { waId: keys.waId }) : undefined;
    const byUserId = keys.userId ? this.findRow(seen.tenant, { userId: keys.userId }) : undefined;
    const plan = planUserUpsert(seen, byWaId, byUserId, this.now(), newId);
    if (plan.remove) this.rows.delete(plan.remove);
    this.rows.set(plan.user.id, structuredClone(plan.user));
    return structuredClone(plan.user);
  }

  async get(id: string): Promise<User | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async find(tenant: string, key: { waId?: string; userId?: string }): Promise<User | undefined> {
    const row = this.findRow(tenant, key);
    return row && structuredClone(row);
  }

  /** Matches wa_id or BSUID, whichever the key holds (either one is enough). */
  private findRow(tenant: string, key: { waId?: string; userId?: string }): User | undefined {
    if (!key.waId && !key.userId) return undefined;
    for (const u of this.rows.values()) {
      if (u.tenant !== tenant) continue;
      if ((key.waId && u.waId === key.waId) || (key.userId && u.userId === key.userId)) return u;
    }
    return undefined;
  }
}
