import { InvalidStoreInput } from "./page.js";
import type {
  Agent,
  Conversation,
  ConversationDraft,
  ConversationFilter,
  Integration,
  StoredMessage,
} from "./types.js";

/** Keys a Conversation may omit; a save without one of them clears it (e.g. agentId on release). */
export const OPTIONAL_CONVERSATION_KEYS = [
  "waId",
  "userId",
  "profileName",
  "flowId",
  "agentId",
  "lastInboundAt",
  "unread",
  "awaitingAgentSince",
  "pausedUntil",
  "pauseReason",
  "closedAt",
] as const;

/**
 * The stored shape of a draft. Callers often spread a loaded Conversation into the draft, so
 * only known fields are copied: a stray `version` or `updatedAt` never reaches the store.
 */
export function conversationFrom(
  draft: ConversationDraft,
  version: number,
  createdAt: string,
  updatedAt: string,
): Conversation {
  if (!draft.id || !draft.tenant || !draft.user) {
    throw new InvalidStoreInput("conversation needs id, tenant and user", { id: draft.id });
  }
  const conversation: Conversation = {
    id: draft.id,
    tenant: draft.tenant,
    user: draft.user,
    stage: draft.stage ?? null,
    route: draft.route,
    createdAt,
    updatedAt,
    version,
  };
  const optional = conversation as Record<(typeof OPTIONAL_CONVERSATION_KEYS)[number], unknown>;
  for (const key of OPTIONAL_CONVERSATION_KEYS) {
    const value = draft[key];
    if (value !== undefined) optional[key] = value;
  }
  return conversation;
}

/** The `user` part of `${tenant}:${user}`; tenants (phone_number_ids) hold no colon. */
export const conversationUser = (conversationId: string): string =>
  conversationId.slice(conversationId.indexOf(":") + 1);

/** Users are looked up as wa_id/phone without "+", or BSUID. */
export const normalizeUser = (user: string): string => user.trim().replace(/^\+/, "");

export function messageMatchesUser(
  message: Pick<StoredMessage, "from" | "to" | "conversationId">,
  user: string,
): boolean {
  return message.from === user || message.to === user || conversationUser(message.conversationId) === user;
}

/** Undefined values in a patch mean "leave as is"; id and createdAt never change. */
export function cleanPatch<T extends Integration | Agent>(
  patch: Partial<Omit<T, "id" | "createdAt">>,
): Partial<Omit<T, "id" | "createdAt">> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined && key !== "id" && key !== "createdAt" && key !== "_id") clean[key] = value;
  }
  return clean as Partial<Omit<T, "id" | "createdAt">>;
}

/** The conversation filter as a predicate (the memory store; the Mongo store builds a query). */
export function matchesFilter(c: Conversation, filter: ConversationFilter): boolean {
  return (
    (filter.tenant === undefined || c.tenant === filter.tenant) &&
    (filter.tenants === undefined || filter.tenants.includes(c.tenant)) &&
    (filter.route === undefined || c.route === filter.route) &&
    (filter.stage === undefined || c.stage === filter.stage) &&
    (filter.agentId === undefined || c.agentId === filter.agentId)
  );
}
