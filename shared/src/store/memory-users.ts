import { newId } from "../events/event.js";
import type { User, UserKey, UserPreference, UserSighting, UserStore } from "./types.js";
import {
  planIdChange,
  planUserUpsert,
  preferenceIsNewer,
  preferenceKey,
  sightingKeys,
  type UserPlan,
} from "./user-link.js";

export class MemoryUserStore implements UserStore {
  private readonly rows = new Map<string, User>();

  constructor(private readonly now: () => string) {}

  async upsert(seen: UserSighting): Promise<User> {
    const keys = sightingKeys(seen);
    const byWaId = keys.waId ? this.findRow(seen.tenant, { waId: keys.waId }) : undefined;
    const byUserId = keys.userId ? this.findRow(seen.tenant, { userId: keys.userId }) : undefined;
    return this.write(planUserUpsert(seen, byWaId, byUserId, this.now(), newId));
  }

  async get(id: string): Promise<User | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  async find(tenant: string, key: UserKey): Promise<User | undefined> {
    const row = this.findRow(tenant, key);
    return row && structuredClone(row);
  }

  async setPreference(
    tenant: string,
    key: UserKey,
    category: string,
    preference: UserPreference,
  ): Promise<User> {
    const user = await this.upsert({ tenant, ...key });
    const row = this.rows.get(user.id) as User;
    const slot = preferenceKey(category);
    if (preferenceIsNewer(row.preferences?.[slot], preference)) {
      row.preferences = { ...row.preferences, [slot]: structuredClone(preference) };
    }
    return structuredClone(row);
  }

  async changeIds(tenant: string, from: UserKey, to: UserKey): Promise<User | undefined> {
    const current = this.findRow(tenant, from);
    if (!current) return undefined;
    const other =
      (to.waId ? this.findRow(tenant, { waId: to.waId }) : undefined) ??
      (to.userId ? this.findRow(tenant, { userId: to.userId }) : undefined);
    return this.write(planIdChange(current, other, from, to, this.now()));
  }

  private write(plan: UserPlan): User {
    if (plan.remove) this.rows.delete(plan.remove);
    this.rows.set(plan.user.id, structuredClone(plan.user));
    return structuredClone(plan.user);
  }

  /** Matches wa_id or BSUID, whichever the key holds (either one is enough). */
  private findRow(tenant: string, key: UserKey): User | undefined {
    if (!key.waId && !key.userId) return undefined;
    for (const u of this.rows.values()) {
      if (u.tenant !== tenant) continue;
      if ((key.waId && u.waId === key.waId) || (key.userId && u.userId === key.userId)) return u;
    }
    return undefined;
  }
}
