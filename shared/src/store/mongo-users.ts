import type { Collection, Filter } from "mongodb";
import { newId } from "../events/event.js";
import { type Doc, isDuplicateKey, MAX_RACES, strip, tooManyRaces } from "./mongo-docs.js";
import type { User, UserSighting, UserStore } from "./types.js";
import { planUserUpsert, sightingKeys } from "./user-link.js";

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
