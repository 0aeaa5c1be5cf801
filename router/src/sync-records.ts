import type { InboundEchoData, InboundHistoryData } from "@flank/shared/contract";
import type { StoredMessage, UserKey, UserStore } from "@flank/shared/store";
import { userOf } from "./conversation-state.js";

/**
 * The conversation of a user the business (or Meta) wrote about: the one the users store
 * remembers for them (router/src/identity.ts), else the event's own. Groups keep the group's.
 */
export async function knownConversation(
  users: Pick<UserStore, "find">,
  tenant: string,
  conversationId: string,
  key: UserKey,
  groupId?: string,
): Promise<string> {
  if (groupId !== undefined || (!key.waId && !key.userId)) return conversationId;
  return (await users.find(tenant, key))?.conversationId ?? conversationId;
}

/** An echo as the business's message in the history (direction outbound, written in the app). */
export function storedEcho(conversationId: string, tenant: string, m: InboundEchoData): StoredMessage {
  return {
    id: m.wamid,
    wamid: m.wamid,
    conversationId,
    tenant,
    direction: "outbound",
    from: m.from ?? m.displayPhoneNumber ?? tenant,
    to: m.to ?? m.toUserId ?? userOf(conversationId),
    type: m.type,
    ...(m.text === undefined ? {} : { body: m.text }),
    timestamp: m.timestamp,
    statuses: [],
    raw: m.raw,
    origin: "business_app",
  };
}

/** A message of a history import, either side, as it was. */
export function storedHistory(conversationId: string, tenant: string, m: InboundHistoryData): StoredMessage {
  const business = m.from ?? m.displayPhoneNumber ?? tenant;
  const inbound = m.direction === "inbound";
  return {
    id: m.wamid,
    wamid: m.wamid,
    conversationId,
    tenant,
    direction: m.direction,
    from: inbound ? (m.from ?? m.threadId) : business,
    to: inbound ? (m.displayPhoneNumber ?? tenant) : (m.to ?? m.threadId),
    type: m.type,
    ...(m.text === undefined ? {} : { body: m.text }),
    timestamp: m.timestamp,
    statuses: [],
    raw: m.raw,
    origin: "history",
  };
}
