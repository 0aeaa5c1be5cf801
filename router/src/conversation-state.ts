import type { InboundMessageData } from "@flank/shared/contract";
import type { Flow } from "@flank/shared/flows";
import { withRoute } from "@flank/shared/routing";
import type { Conversation, ConversationDraft, StoredMessage, UserSighting } from "@flank/shared/store";
import type { Decision } from "./decide.js";

/** The `user` part of `${phone_number_id}:${user}` (phone_number_ids hold no colon). */
export const userOf = (conversationId: string): string =>
  conversationId.slice(conversationId.indexOf(":") + 1);

/** The message's own time, or the clock when Meta's timestamp is unusable. */
export function messageTime(message: InboundMessageData, clock: () => Date): Date {
  const t = Date.parse(message.timestamp);
  return Number.isNaN(t) ? clock() : new Date(t);
}

/**
 * The conversation after a decision (pure): stage, route, agent, the 24-hour window's start,
 * identity, and the pause of route `human` (kept while it holds, cleared when the bot is back). A
 * group's conversation takes no participant's identity.
 */
export function nextDraft(
  current: Conversation | undefined,
  ids: { id: string; tenant: string },
  message: InboundMessageData,
  decision: Decision,
  flow: Flow,
  at: Date,
): ConversationDraft {
  const previous = current?.lastInboundAt ? Date.parse(current.lastInboundAt) : Number.NaN;
  // Out-of-order delivery must not move the window's start backwards.
  const lastInboundAt =
    !Number.isNaN(previous) && previous > at.getTime() ? current?.lastInboundAt : at.toISOString();
  const person = message.groupId === undefined;
  const human = decision.route === "human";
  const draft = withRoute(
    {
      ...(current ?? {}),
      id: ids.id,
      tenant: ids.tenant,
      user: current?.user ?? userOf(ids.id),
      // A group's conversation takes no participant's identity.
      waId: (person && message.from) || current?.waId,
      userId: (person ? message.userId : undefined) ?? current?.userId,
      profileName: (person ? message.profileName : undefined) ?? current?.profileName,
      flowId: flow.id,
      stage: decision.stage,
      route: current?.route ?? "bot",
      lastInboundAt,
      pausedUntil: human && decision.rule === "held" ? current?.pausedUntil : undefined,
      pauseReason: human ? decision.pauseReason : undefined,
      closedAt: undefined,
    },
    decision.route,
    at.toISOString(),
  );
  // A message the queue or an agent holds waits for an agent: one more unread.
  const forAgents = decision.route === "queue" || decision.route.startsWith("agent:");
  return forAgents ? { ...draft, unread: (draft.unread ?? 0) + 1 } : draft;
}

/** The media a stored message names: its id serves the file at `GET /v1/media/{id}` once stored. */
const storedMediaOf = (
  media: NonNullable<InboundMessageData["media"]>,
): NonNullable<StoredMessage["media"]> => ({
  id: media.id,
  ...(media.mimeType ? { mimeType: media.mimeType } : {}),
  ...(media.stored ? { size: media.stored.size } : {}),
});

export function storedInbound(
  conversationId: string,
  tenant: string,
  message: InboundMessageData,
): StoredMessage {
  return {
    id: message.wamid,
    wamid: message.wamid,
    conversationId,
    tenant,
    direction: "inbound",
    from: message.from || message.userId || userOf(conversationId),
    to: message.displayPhoneNumber ?? message.phoneNumberId,
    type: message.type,
    body: message.text,
    ...(message.transcript ? { transcript: message.transcript } : {}),
    ...(message.media ? { media: storedMediaOf(message.media) } : {}),
    timestamp: message.timestamp,
    statuses: [],
    raw: message.raw,
  };
}

export function sightingOf(tenant: string, message: InboundMessageData): UserSighting | undefined {
  const waId = message.from || undefined;
  if (!waId && !message.userId) return undefined;
  return {
    tenant,
    waId,
    userId: message.userId,
    profileName: message.profileName,
    username: message.username,
  };
}
