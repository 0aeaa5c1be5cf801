import { InvalidStoreInput } from "./page.js";
import type { User, UserSighting } from "./types.js";

/**
 * What an upsert writes (contract §5). A user is known by wa_id, BSUID or both within a tenant;
 * Meta may send either alone ("wa_id can be omitted", and older payloads used empty strings).
 * - nobody matches: a new user;
 * - one user matches: it gains whichever key was new and the latest profile;
 * - two users match (one seen by wa_id only, one by BSUID only, now seen together): the older
 *   one absorbs the other, which is removed, so one person is one user.
 */
export interface UserPlan {
  kind: "create" | "update" | "merge";
  user: User;
  /** Only for merge: the id of the absorbed user, to delete before writing `user`. */
  remove?: string;
}

export interface SightingKeys {
  waId?: string;
  userId?: string;
}

/** Empty strings count as absent; at least one key is required. */
export function sightingKeys(seen: UserSighting): SightingKeys {
  const keys: SightingKeys = {};
  if (seen.waId) keys.waId = seen.waId;
  if (seen.userId) keys.userId = seen.userId;
  if (!seen.tenant || (!keys.waId && !keys.userId)) {
    throw new InvalidStoreInput("a user sighting needs a tenant and a wa_id or BSUID", {
      tenant: seen.tenant,
    });
  }
  return keys;
}

export function planUserUpsert(
  seen: UserSighting,
  byWaId: User | undefined,
  byUserId: User | undefined,
  now: string,
  newId: () => string,
): UserPlan {
  const keys = sightingKeys(seen);
  const profile = {
    ...(seen.profileName ? { profileName: seen.profileName } : {}),
    ...(seen.username ? { username: seen.username } : {}),
  };
  if (byWaId && byUserId && byWaId.id !== byUserId.id) {
    const [keep, absorb] =
      byUserId.firstSeenAt < byWaId.firstSeenAt ? [byUserId, byWaId] : [byWaId, byUserId];
    const user: User = {
      ...absorb,
      ...keep,
      ...keys,
      ...profile,
      metadata: { ...absorb.metadata, ...keep.metadata },
      lastSeenAt: now,
    };
    return { kind: "merge", user, remove: absorb.id };
  }
  const existing = byWaId ?? byUserId;
  if (existing) return { kind: "update", user: { ...existing, ...keys, ...profile, lastSeenAt: now } };
  return {
    kind: "create",
    user: {
      id: newId(),
      tenant: seen.tenant,
      ...keys,
      ...profile,
      firstSeenAt: now,
      lastSeenAt: now,
      metadata: {},
    },
  };
}
