import type { Collection, Filter } from "mongodb";
import { newId } from "../events/event.js";
import { type Doc, isDuplicateKey, MAX_RACES, strip, tooManyRaces } from "./mongo-docs.js";
import type { User, UserKey, UserPreference, UserSighting, UserStore } from "./types.js";
import { planIdChange, planUserUpsert, preferenceKey, sightingKeys, type UserPlan } from "./user-link.js";

type UserDoc = Doc<User>;

export class MongoUserStore implements UserStore {
  constructor(
    private readonly col: Collection<UserDoc>,
    private readonly now: () => string,
  ) {}

  /**
   * Plans with user-link, then writes. Two first sightings of one person race on the unique
   * (tenant, waId) / (tenant, userId) indexes: the loser sees E11000 and retries as an update.
   */
  async upsert(seen: UserSighting): Promise<User> {
    const keys = sightingKeys(seen);
    for (let race = 0; race < MAX_RACES; race++) {
      const [byWaId, byUserId] = await Promise.all([
        keys.waId ? this.findDoc(seen.tenant, { waId: keys.waId }) : undefined,
        keys.userId ? this.findDoc(seen.tenant, { userId: keys.userId }) : undefined,
      ]);
      const plan = planUserUpsert(seen, byWaId, byUserId, this.now(), newId);
      try {
        if (plan.kind === "create") {
          await this.col.insertOne({ _id: plan.user.id, ...plan.user });
          return plan.user;
        }
        if (plan.remove) await this.col.deleteOne({ _id: plan.remove });
        // An update sets only what the sighting brings, so a concurrent link is never undone.
        const { id, ...all } = plan.user;
        const set =
          plan.kind === "merge"
            ? all
            : {
                ...keys,
                ...(seen.profileName ? { profileName: seen.profileName } : {}),
                ...(seen.username ? { username: seen.username } : {}),
                ...(plan.user.conversationId ? { conversationId: plan.user.conversationId } : {}),
                lastSeenAt: plan.user.lastSeenAt,
              };
        const saved = await this.col.findOneAndUpdate(
          { _id: id },
          { $set: set },
          { returnDocument: "after" },
        );
        if (saved) return strip(saved);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw tooManyRaces("users.upsert", { tenant: seen.tenant });
  }

  /** Upsert the user, then set the preference only if the stored one is not newer (one conditional write). */
  async setPreference(
    tenant: string,
    key: UserKey,
    category: string,
    preference: UserPreference,
  ): Promise<User> {
    const user = await this.upsert({ tenant, ...key });
    const path = `preferences.${preferenceKey(category)}`;
    const saved = await this.col.findOneAndUpdate(
      { _id: user.id, $or: [{ [path]: { $exists: false } }, { [`${path}.at`]: { $lte: preference.at } }] },
      { $set: { [path]: preference } },
      { returnDocument: "after" },
    );
    if (saved) return strip(saved);
    return (await this.get(user.id)) ?? user;
  }

  /**
   * Plans with user-link, then writes the whole user back only if it is unchanged since read
   * (lastSeenAt); a lost race or a unique-index clash with a concurrent first sighting retries.
   */
  async changeIds(tenant: string, from: UserKey, to: UserKey): Promise<User | undefined> {
    for (let race = 0; race < MAX_RACES; race++) {
      const current = await this.findDoc(tenant, from);
      if (!current) return undefined;
      const other =
        (to.waId ? await this.findDoc(tenant, { waId: to.waId }) : undefined) ??
        (to.userId ? await this.findDoc(tenant, { userId: to.userId }) : undefined);
      const plan: UserPlan = planIdChange(current, other, from, to, this.now());
      try {
        if (plan.remove) await this.col.deleteOne({ _id: plan.remove });
        const written = await this.col.replaceOne(
          { _id: plan.user.id, lastSeenAt: current.lastSeenAt },
          plan.user,
        );
        if (written.matchedCount === 1) return plan.user;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw tooManyRaces("users.changeIds", { tenant });
  }

  async get(id: string): Promise<User | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? strip(doc) : undefined;
  }

  async find(tenant: string, key: { waId?: string; userId?: string }): Promise<User | undefined> {
    return this.findDoc(tenant, key);
  }

  private async findDoc(tenant: string, key: { waId?: string; userId?: string }): Promise<User | undefined> {
    // `$type` repeats the partial index filter so the planner can use those indexes.
    const or: Filter<UserDoc>[] = [];
    if (key.waId) or.push({ tenant, waId: { $eq: key.waId, $type: "string" } });
    if (key.userId) or.push({ tenant, userId: { $eq: key.userId, $type: "string" } });
    if (or.length === 0) return undefined;
    const doc = await this.col.findOne(or.length === 1 && or[0] ? or[0] : { $or: or });
    return doc ? strip(doc) : undefined;
  }
}
