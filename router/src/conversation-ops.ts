import type { Bus } from "@flank/shared/bus";
import { createEvent, type Route } from "@flank/shared/contract";
import { FlankError } from "@flank/shared/errors";
import type { Logger } from "@flank/shared/log";
import {
  type AgentPresence,
  agentOf,
  agentRoute,
  changesBetween,
  eligibleOnline,
  withRoute,
} from "@flank/shared/routing";
import type { AgentStore, Conversation, ConversationDraft, ConversationStore } from "@flank/shared/store";

/**
 * Every change to a conversation goes through these operations, and only the router runs them:
 * its workers for messages, echoes and calls, and its command worker for the agent API
 * (command-worker.ts). One writer per conversation, with compare-and-set between its instances.
 */
export interface RoutingDeps {
  conversations: ConversationStore;
  presence: AgentPresence;
  bus: Bus;
  log: Logger;
  /** Known agents: assignment gives a conversation only to agents who may work on its number. */
  agents?: Pick<AgentStore, "list">;
  /** Sees every saved conversation (the router keeps its session cache warm with it). */
  onSaved?: (conversation: Conversation) => Promise<void>;
  clock?: () => Date;
}

/**
 * The routing deps of one of the router's workers: its stores, presence and bus, and every save
 * written through to the session cache (`also` sees it too).
 */
export function routingOf(
  deps: {
    stores: { conversations: ConversationStore; agents?: Pick<AgentStore, "list"> };
    presence: AgentPresence;
    bus: Bus;
    log: Logger;
    cache?: { putConversation(c: Conversation): Promise<void> } | undefined;
    clock?: (() => Date) | undefined;
  },
  also?: (conversation: Conversation) => void,
): RoutingDeps {
  return {
    conversations: deps.stores.conversations,
    presence: deps.presence,
    bus: deps.bus,
    log: deps.log,
    ...(deps.stores.agents ? { agents: deps.stores.agents } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onSaved: async (c) => {
      also?.(c);
      await deps.cache?.putConversation(c);
    },
  };
}

const nowIso = (deps: Pick<RoutingDeps, "clock">) => (deps.clock?.() ?? new Date()).toISOString();

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

/**
 * Moves a conversation to `route` (withRoute) unless `refuse` names why not (a conflict). Already
 * there: unchanged. The take, release, transfer and handoff operations differ only in `refuse`.
 */
function moveTo(
  deps: RoutingDeps,
  id: string,
  route: Route,
  refuse: (c: Conversation) => string | undefined,
) {
  return mutateConversation<OpResult | undefined>(deps.conversations, id, (c) => {
    if (!c) return { result: notFound(id) };
    if (c.route === route) return { result: unchanged(c) };
    const why = refuse(c);
    if (why) return { result: conflict(c, why) };
    // A person taking over, or the bot taking back, ends a pause for someone answering outside Flank.
    return { result: undefined, save: { ...withRoute(c, route, nowIso(deps)), ...NO_PAUSE } };
  });
}

/** Sends a bot conversation to the agent queue (API or keyword handoff), then tries to assign it. */
export async function handoffConversation(deps: RoutingDeps, id: string, reason: string): Promise<OpResult> {
  const { result, before, saved } = await moveTo(deps, id, "queue", (c) =>
    c.route !== "bot" && c.route !== "human" ? `conversation is held by ${c.route}` : undefined,
  );
  if (result)
    return result.ok && result.conversation.route === "queue" ? assignQueued(deps, id, reason) : result;
  if (!saved) return notFound(id);
  await finish(deps, before, saved, reason);
  return assignQueued(deps, id, reason);
}

/**
 * Gives a queued conversation to the least-loaded online agent who may work on its number; it stays
 * queued when there is none.
 */
export async function assignQueued(deps: RoutingDeps, id: string, reason: string): Promise<OpResult> {
  const current = await deps.conversations.get(id);
  if (!current) return notFound(id);
  if (current.route !== "queue") return unchanged(current);
  const candidates = await eligibleOnline(deps.presence, deps.agents, current.tenant);
  if (candidates.length === 0) return unchanged(current);
  const agentId = await deps.presence.claimLeastLoaded(candidates);
  if (!agentId) return unchanged(current);
  const { result, before, saved } = await mutateConversation<OpResult | undefined>(
    deps.conversations,
    id,
    (c) => {
      if (!c) return { result: notFound(id) };
      if (c.route !== "queue") return { result: unchanged(c) };
      return { result: undefined, save: withRoute(c, agentRoute(agentId), nowIso(deps)) };
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
  const { result, before, saved } = await moveTo(deps, id, agentRoute(agentId), (c) =>
    c.route !== "bot" && c.route !== "queue" && c.route !== "human"
      ? `conversation is held by ${c.route}`
      : undefined,
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
  const { result, before, saved } = await moveTo(deps, id, "bot", (c) =>
    opts.agentId && agentOf(c.route) !== opts.agentId
      ? `conversation is held by ${c.route}, not agent:${opts.agentId}`
      : undefined,
  );
  if (!saved) return result ?? notFound(id);
  const holder = before && agentOf(before.route);
  if (holder) await deps.presence.addLoad(holder, -1);
  return finish(deps, before, saved, opts.reason ?? "released to the bot");
}

/** Moves an agent's (or a queued) conversation to another agent. With `from`, only from that agent or the queue. */
export async function transferConversation(
  deps: RoutingDeps,
  id: string,
  opts: { to: string; from?: string; reason?: string },
): Promise<OpResult> {
  const { result, before, saved } = await moveTo(deps, id, agentRoute(opts.to), (c) => {
    if (c.route === "bot") return "the bot has this conversation: take it first";
    if (opts.from && c.route !== "queue" && agentOf(c.route) !== opts.from)
      return `conversation is held by ${c.route}, not agent:${opts.from}`;
    return undefined;
  });
  if (!saved) return result ?? notFound(id);
  const holder = before && agentOf(before.route);
  if (holder) await deps.presence.addLoad(holder, -1);
  await deps.presence.addLoad(opts.to, 1);
  return finish(deps, before, saved, opts.reason ?? `transferred to agent:${opts.to}`);
}

/** An agent has seen the conversation: its unread count goes to zero. */
export async function markRead(deps: Pick<RoutingDeps, "conversations">, id: string): Promise<OpResult> {
  const { result, saved } = await mutateConversation<OpResult | undefined>(deps.conversations, id, (c) => {
    if (!c) return { result: notFound(id) };
    if (!c.unread) return { result: unchanged(c) };
    return { result: undefined, save: { ...c, unread: 0 } };
  });
  return saved ? { ok: true, conversation: saved, changed: true } : (result ?? notFound(id));
}

/**
 * An agent replied: the unread count goes to zero and, on the first reply since the chat left
 * the bot, the wait ends. Returns how long that wait was (time to first agent reply), if it ended.
 */
export async function noteAgentReply(
  deps: Pick<RoutingDeps, "conversations" | "clock">,
  id: string,
): Promise<{ waitedMs?: number }> {
  const now = deps.clock?.() ?? new Date();
  const { result } = await mutateConversation<{ waitedMs?: number }>(deps.conversations, id, (c) => {
    if (!c || (!c.unread && !c.awaitingAgentSince)) return { result: {} };
    const since = c.awaitingAgentSince ? Date.parse(c.awaitingAgentSince) : Number.NaN;
    const { awaitingAgentSince: _ended, ...rest } = c;
    return {
      result: Number.isNaN(since) ? {} : { waitedMs: Math.max(0, now.getTime() - since) },
      save: { ...rest, unread: 0 },
    };
  });
  return result;
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
