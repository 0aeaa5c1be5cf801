import type { Bus } from "../bus/bus.js";
import { FlankError } from "../errors.js";
import { createEvent } from "../events/event.js";
import type { Logger } from "../log/logger.js";
import type { Conversation, ConversationDraft, ConversationStore } from "../store/types.js";
import { agentOf, agentRoute, changesBetween } from "./changes.js";
import type { AgentPresence } from "./presence.js";

export interface RoutingDeps {
  conversations: ConversationStore;
  presence: AgentPresence;
  bus: Bus;
  log: Logger;
  /** Sees every saved conversation (the router keeps its session cache warm with it). */
  onSaved?: (conversation: Conversation) => Promise<void>;
}

export type Mutation<R> = { result: R; save?: ConversationDraft };

export class ConversationConflict extends FlankError {
  constructor(id: string, attempts: number) {
    super("ConversationConflict", `conversation ${id} kept changing; gave up after ${attempts} attempts`, {
      context: { conversationId: id, attempts },
      retryable: true,
    });
  }
}

/**
 * Compare-and-set loop: `decide` sees the current conversation and says what to save; when another
 * writer saved first, it runs again on a fresh read. `first` skips the initial read (a cached copy).
 */
export async function mutateConversation<R>(
  store: ConversationStore,
  id: string,
  decide: (current: Conversation | undefined) => Mutation<R> | Promise<Mutation<R>>,
  opts: { first?: Conversation; attempts?: number } = {},
): Promise<{ result: R; before: Conversation | undefined; saved?: Conversation }> {
  const attempts = opts.attempts ?? 10;
  let current = opts.first ?? (await store.get(id));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { result, save } = await decide(current);
    if (!save) return { result, before: current };
    const res = await store.save(save, current?.version ?? 0);
    if (res.ok) return { result, before: current, saved: res.conversation };
    // `current` from a failed save can lag a concurrent create; read again when it is missing.
    current = res.current ?? (await store.get(id));
  }
  throw new ConversationConflict(id, attempts);
}

export type OpResult =
  | { ok: true; conversation: Conversation; changed: boolean }
  | { ok: false; code: "not_found" | "conflict"; message: string; conversation?: Conversation };

const notFound = (id: string): OpResult => ({
  ok: false,
  code: "not_found",
  message: `no conversation ${id}`,
});
const conflict = (conversation: Conversation, message: string): OpResult => ({
  ok: false,
  code: "conflict",
  message,
  conversation,
});
const unchanged = (conversation: Conversation): OpResult => ({ ok: true, conversation, changed: false });
/** Leaving route `human` ends its pause. */
const NO_PAUSE = { pausedUntil: undefined, pauseReason: undefined };

/** Publishes the `conversation.updated` events for one saved change. */
export async function publishChanges(
  bus: Bus,
  before: Conversation | undefined,
  after: Conversation,
  reason: string,
): Promise<void> {
  const events = changesBetween(before, after, reason).map((data) =>
    createEvent({ type: "conversation.updated", tenant: after.tenant, conversationId: after.id, data }),
  );
  if (events.length) await bus.publish(events);
}

async function finish(
  deps: RoutingDeps,
  before: Conversation | undefined,
  saved: Conversation,
  reason: string,
) {
  await deps.onSaved?.(saved);
  await publishChanges(deps.bus, before, saved, reason);
  return { ok: true as const, conversation: saved, changed: true };
}

/** Sends a bot conversation to the agent queue (API or keyword handoff), then tries to assign it. */
export async function handoffConversation(deps: RoutingDeps, id: string, reason: string): Promise<OpResult> {
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    id,
    (c) => {
      if (!c) return { result: notFound(id) };
      if (c.route === "queue") return { result: unchanged(c) };
      if (c.route !== "bot" && c.route !== "human")
        return { result: conflict(c, `conversation is held by ${c.route}`) };
      return { result: undefined, save: { ...c, ...NO_PAUSE, route: "queue", agentId: undefined } };
    },
  );
  if (result)
    return result.ok && result.conversation.route === "queue" ? assignQueued(deps, id, reason) : result;
  if (!saved) return notFound(id);
  await finish(deps, before, saved, reason);
  return assignQueued(deps, id, reason);
}

/** Gives a queued conversation to the least-loaded online agent; stays queued when none is online. */
export async function assignQueued(deps: RoutingDeps, id: string, reason: string): Promise<OpResult> {
  const current = await deps.conversations.get(id);
  if (!current) return notFound(id);
  if (current.route !== "queue") return unchanged(current);
  const agentId = await deps.presence.claimLeastLoaded();
  if (!agentId) return unchanged(current);
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    id,
    (c) => {
      if (!c) return { result: notFound(id) };
      if (c.route !== "queue") return { result: unchanged(c) };
      return { result: undefined, save: { ...c, route: agentRoute(agentId), agentId } };
    },
    { first: current },
  );
  if (!saved) {
    // Someone else took it meanwhile: give the claimed slot back.
    await deps.presence.addLoad(agentId, -1);
    return result ?? notFound(id);
  }
  deps.log.info({ conversationId: id, agentId }, "conversation assigned");
  return finish(deps, before, saved, reason);
}

/** An agent takes a conversation from the bot or the queue. */
export async function takeConversation(
  deps: RoutingDeps,
  id: string,
  agentId: string,
  reason = "taken over by agent",
): Promise<OpResult> {
  const route = agentRoute(agentId);
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    id,
    (c) => {
      if (!c) return { result: notFound(id) };
      if (c.route === route) return { result: unchanged(c) };
      if (c.route !== "bot" && c.route !== "queue" && c.route !== "human")
        return { result: conflict(c, `conversation is held by ${c.route}`) };
      return { result: undefined, save: { ...c, ...NO_PAUSE, route, agentId } };
    },
  );
  if (!saved) return result ?? notFound(id);
  await deps.presence.addLoad(agentId, 1);
  return finish(deps, before, saved, reason);
}

/** Returns a conversation to the bot. With `agentId`, only that agent's own conversation. */
export async function releaseConversation(
  deps: RoutingDeps,
  id: string,
  opts: { agentId?: string; reason?: string } = {},
): Promise<OpResult> {
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    id,
    (c) => {
      if (!c) return { result: notFound(id) };
      if (c.route === "bot") return { result: unchanged(c) };
      const holder = agentOf(c.route);
      if (opts.agentId && holder !== opts.agentId)
        return { result: conflict(c, `conversation is held by ${c.route}, not agent:${opts.agentId}`) };
      return { result: undefined, save: { ...c, ...NO_PAUSE, route: "bot", agentId: undefined } };
    },
  );
  if (!saved) return result ?? notFound(id);
  const holder = before && agentOf(before.route);
  if (holder) await deps.presence.addLoad(holder, -1);
  return finish(deps, before, saved, opts.reason ?? "released to the bot");
}

/**
 * A person answered from outside Flank (the WhatsApp Business app): the bot stays quiet until
 * `until`. A conversation held by the queue or an agent is left alone (a person has it already);
 * a pause already running is only ever extended. Creates the conversation when there is none yet
 * (the business wrote first), with no stage: the flow starts when the user answers.
 */
export async function pauseForHuman(
  deps: RoutingDeps,
  ids: { id: string; tenant: string; user: string },
  until: string,
  reason: string,
): Promise<OpResult> {
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    ids.id,
    (c) => {
      if (c && c.route !== "bot" && c.route !== "human") return { result: unchanged(c) };
      // Already paused for longer, or for good (a group the bot may not answer).
      if (c?.route === "human" && (!c.pausedUntil || c.pausedUntil >= until)) return { result: unchanged(c) };
      const base = c ?? { id: ids.id, tenant: ids.tenant, user: ids.user, stage: null };
      return {
        result: undefined,
        save: { ...base, route: "human", agentId: undefined, pausedUntil: until, pauseReason: reason },
      };
    },
  );
  if (!saved) return result ?? notFound(ids.id);
  return finish(deps, before, saved, reason);
}
