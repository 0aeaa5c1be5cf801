import { InvalidStoreInput } from "./page.js";
import type { PreviousIds, User, UserKey, UserPreference, UserSighting } from "./types.js";

/**
 * What an upsert writes (docs/whatsapp-contract.md "Identity"). A user is known by wa_id, BSUID or both within a tenant;
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
    return { kind: "merge", user: { ...merged(keep, absorb, now), ...keys, ...profile }, remove: absorb.id };
  }
  const existing = byWaId ?? byUserId;
  if (existing) {
    const conversationId = existing.conversationId ?? seen.conversationId;
    return {
      kind: "update",
      user: {
        ...existing,
        ...keys,
        ...profile,
        ...(conversationId ? { conversationId } : {}),
        lastSeenAt: now,
      },
    };
  }
  return {
    kind: "create",
    user: {
      id: newId(),
      tenant: seen.tenant,
      ...keys,
      ...profile,
      ...(seen.conversationId ? { conversationId: seen.conversationId } : {}),
      firstSeenAt: now,
      lastSeenAt: now,
      metadata: {},
    },
  };
}

/** One person seen as two users: `keep` absorbs `absorb`, whose conversation and preferences fill gaps. */
function merged(keep: User, absorb: User, now: string): User {
  const conversationId = keep.conversationId ?? absorb.conversationId;
  const preferences = { ...absorb.preferences, ...keep.preferences };
  const previousIds = [...(absorb.previousIds ?? []), ...(keep.previousIds ?? [])];
  return {
    ...absorb,
    ...keep,
    ...(conversationId ? { conversationId } : {}),
    ...(Object.keys(preferences).length > 0 ? { preferences } : {}),
    ...(previousIds.length > 0 ? { previousIds } : {}),
    metadata: { ...absorb.metadata, ...keep.metadata },
    lastSeenAt: now,
  };
}

/**
 * A phone number or BSUID change (docs/whatsapp-contract.md "Identity"): `current` (found by the old
 * ids) takes the new ones and remembers the old; `other` (someone already seen under the new
 * ids, e.g. the new number wrote before the change notice arrived) is absorbed into it, so the
 * conversation of `current` carries on.
 */
export function planIdChange(
  current: User,
  other: User | undefined,
  from: UserKey,
  to: UserKey,
  now: string,
): UserPlan {
  const base =
    other && other.id !== current.id ? merged(current, other, now) : { ...current, lastSeenAt: now };
  // The ids the change notice names as the old ones, else those stored.
  const oldWaId = from.waId ?? current.waId;
  const oldUserId = from.userId ?? current.userId;
  const before: PreviousIds = { at: now };
  if (to.waId && oldWaId && to.waId !== oldWaId) before.waId = oldWaId;
  if (to.userId && oldUserId && to.userId !== oldUserId) before.userId = oldUserId;
  const previousIds = before.waId || before.userId ? [...(base.previousIds ?? []), before] : base.previousIds;
  const user: User = {
    ...base,
    ...(to.waId ? { waId: to.waId } : {}),
    ...(to.userId ? { userId: to.userId } : {}),
    ...(previousIds ? { previousIds } : {}),
  };
  return other && other.id !== current.id
    ? { kind: "merge", user, remove: other.id }
    : { kind: "update", user };
}

/** Meta's category names are snake_case; anything else is folded so it is a safe document key. */
export const preferenceKey = (category: string): string => category.replace(/[^A-Za-z0-9_-]/g, "_") || "_";

/** True when `next` may replace what is stored for its category (not older). */
export function preferenceIsNewer(stored: UserPreference | undefined, next: UserPreference): boolean {
  return stored === undefined || next.at >= stored.at;
}
