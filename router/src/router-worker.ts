import type { Bus, Consumer, HandlerContext } from "@flank/shared/bus";
import { createEvent, type EventOf, type FlankEvent, GROUPS } from "@flank/shared/contract";
import type { FlowRegistry } from "@flank/shared/flows";
import type { Logger } from "@flank/shared/log";
import { mediaRequestOf } from "@flank/shared/media";
import { type AgentPresence, agentOf, changesBetween } from "@flank/shared/routing";
import type { Conversation, SessionEntry, Stores } from "@flank/shared/store";
import { BoundedMap } from "@flank/shared/util";
import { applyAmendment } from "./amendments.js";
import type { IntentClassifier } from "./classifier.js";
import { assignQueued, mutateConversation, routingOf } from "./conversation-ops.js";
import { messageTime, nextDraft, storedInbound } from "./conversation-state.js";
import { type Decision, decide, stageIntents } from "./decide.js";
import { createFlowLookup } from "./flow-lookup.js";
import { resolveConversation } from "./identity.js";
import { heldTurn, sessionLinesFrom } from "./session-lines.js";
import { messageText } from "./text-match.js";

/** What the router needs of the session cache (a subset of shared's SessionCache). */
export interface RouterCache {
  getConversation(id: string): Promise<Conversation | undefined>;
  putConversation(conversation: Conversation): Promise<void>;
  /** The bot's session history: edits, revokes and the business app's messages are recorded in it. */
  appendMessages?(conversationId: string, entries: readonly SessionEntry[], keep: number): Promise<void>;
}

export { DEFAULT_SESSION_KEEP } from "./session-lines.js";

export interface RouterDeps {
  bus: Bus;
  stores: Pick<
    Stores,
    "conversations" | "messages" | "users" | "integrations" | "dedup" | "agents" | "templates"
  >;
  flows: FlowRegistry;
  presence: AgentPresence;
  log: Logger;
  cache?: RouterCache;
  classifier?: IntentClassifier;
  /** How long a routed event id is remembered, so a redelivery is not routed twice. */
  dedupTtlSeconds?: number;
  /** Conversations kept in process as the first guess before the session cache (default 10,000; 0 = none). */
  recentConversations?: number;
  /** Session lines the responder keeps (sessionHistoryKeep(config.responder)); the router's writes keep as many. */
  sessionKeep?: number;
  /** HUMAN_REPLY_PAUSE_MINUTES: the bot's pause after a person answers from the WhatsApp Business app. */
  humanReplyPauseMinutes?: number;
  /**
   * Route `inbound.understood` (the media step's output, with transcripts) instead of
   * `inbound.message`: config.media.beforeRouting, when TRANSCRIBE_MODEL or VISION is set (docs/media.md).
   */
  afterMedia?: boolean;
  clock?: () => Date;
}

export interface RouterWorker {
  start(): Promise<void>;
  /** Idempotent: stops consuming and waits for in-flight messages up to `timeoutMs`. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

type InboundEvent = EventOf<"inbound.message"> | EventOf<"inbound.understood">;

/**
 * Consumes `inbound.message` (or `inbound.understood` with `afterMedia`; group `router`): stores the message and user, decides stage and
 * route, saves the conversation with compare-and-set, hands off and assigns, and publishes
 * `conversation.updated` then `conversation.routed`, and `media.requested` for a media message
 * unless the media step ran before routing (`afterMedia`).
 */
export function createRouterWorker(deps: RouterDeps): RouterWorker {
  const clock = deps.clock ?? (() => new Date());
  const ttl = deps.dedupTtlSeconds ?? 7 * 24 * 3600;
  const flowFor = createFlowLookup(deps.stores.integrations, deps.flows);
  // The conversations this router saved last: the first guess for a conversation's next message.
  const recent = new BoundedMap<string, Conversation>(deps.recentConversations ?? 10_000);
  const routing = routingOf(deps, (c) => recent.set(c.id, c));
  const lines = sessionLinesFrom(deps);
  const amendDeps = { messages: deps.stores.messages, lines, log: deps.log };
  let consumer: Consumer | undefined;
  let stopping: Promise<void> | undefined;

  async function route(event: InboundEvent, ctx: HandlerContext): Promise<void> {
    const started = Date.now();
    const { tenant, data: message } = event;
    const log = deps.log.child({ eventId: event.id, conversationId: event.conversationId });
    const done = `router:${event.id}`;
    // A "has it been routed?" check: claim, then give the key back until the work is stored.
    if (!(await deps.stores.dedup.claim(done, ttl))) {
      log.info({ attempt: ctx.attempt }, "inbound message already routed: skipped");
      return;
    }
    await deps.stores.dedup.release(done);

    const [flow, id] = await Promise.all([
      flowFor(tenant),
      resolveConversation(deps.stores.users, tenant, event.conversationId, message),
    ]);
    if (message.type === "edit" || message.type === "revoke") {
      const outcome = await applyAmendment(amendDeps, id, message, "user");
      await deps.stores.dedup.claim(done, ttl);
      log.info({ type: message.type, outcome, conversationId: id }, "message amended; not routed");
      return;
    }
    await deps.stores.messages.insert(storedInbound(id, tenant, message));

    const at = messageTime(message, clock);
    let intent: string | undefined;
    let classified = false;
    const decideWithIntent = async (current: Conversation | undefined): Promise<Decision> => {
      const rules = decide(current, message, flow, { now: at });
      const text = messageText(message);
      if (rules.rule !== "none" || !deps.classifier || !text || stageIntents(flow, rules.stage).length === 0)
        return rules;
      if (!classified) {
        classified = true;
        intent = await deps.classifier.classify({
          text,
          intents: flow.intents ?? [],
          stageGoal: flow.stages[rules.stage]?.goal,
        });
      }
      return intent && intent !== "none" ? decide(current, message, flow, { now: at, intent }) : rules;
    };

    // What this process saved last, else the session cache: either may be stale, which the
    // store's compare-and-set catches.
    const cached =
      recent.get(id) ??
      (await deps.cache?.getConversation(id).catch((err: unknown) => {
        log.warn({ err }, "session cache read failed; reading the store");
        return undefined;
      }));
    const {
      result: decision,
      before,
      saved,
    } = await mutateConversation(
      deps.stores.conversations,
      id,
      async (current) => {
        const d = await decideWithIntent(current);
        return { result: d, save: nextDraft(current, { id, tenant }, message, d, flow, at) };
      },
      { first: cached },
    );
    if (!saved) throw new Error("conversation was not saved");
    await routing.onSaved?.(saved);

    // An idle restart ends a handoff: the agent no longer carries that conversation.
    const releasedAgent = before && agentOf(before.route);
    if (releasedAgent && saved.route !== before.route) await deps.presence.addLoad(releasedAgent, -1);

    let updates: FlankEvent[] = changesBetween(before, saved, decision.reason).map((data) =>
      createEvent({ type: "conversation.updated", tenant, conversationId: id, data }),
    );
    let updateKeys = updates.map((_, i) => `${done}:u${i}`);

    let final = saved;
    if (saved.route === "queue") {
      // Ours before the assignment's own updates; otherwise they go out with the routed event.
      if (updates.length) await deps.bus.publish(updates, { dedupKeys: updateKeys });
      updates = [];
      updateKeys = [];
      // Each message of a queued chat retries assignment, so chats wait only until an agent is online.
      const assigned = await assignQueued(routing, id, "assigned from the queue");
      if (assigned.ok) final = assigned.conversation;
    }

    const routed = createEvent({
      type: "conversation.routed",
      tenant,
      conversationId: id,
      data: {
        // Meta's original object stays on inbound.message: nothing after the router reads it, and it
        // was nearly half of every routed event the bot holds while its model call runs.
        message: { ...message, raw: undefined },
        stageBefore: before?.stage ?? null,
        stageAfter: final.stage ?? decision.stage,
        route: final.route,
        reason: decision.reason,
        flowId: flow.id,
      },
    });
    // The media step after routing reads media messages only: the file's job goes with the routed event.
    const media = deps.afterMedia ? undefined : mediaRequestOf(tenant, id, message);
    // One append for the updates, the routed event and the media job: one round trip, all or nothing.
    await deps.bus.publish([...updates, routed, ...(media ? [media] : [])], {
      dedupKeys: [...updateKeys, `${done}:routed`, ...(media ? [`${done}:media`] : [])],
    });
    if (final.route === "human") await lines.append(id, heldTurn(message));
    await deps.stores.dedup.claim(done, ttl);
    // Per message: debug (docs/operations.md "Logs"); handoffs and assignments stay at info.
    log.debug(
      {
        type: message.type,
        ...(id === event.conversationId ? {} : { conversation: id }),
        flowId: flow.id,
        stageBefore: before?.stage ?? null,
        stage: final.stage,
        route: final.route,
        reason: decision.reason,
        intent,
        version: final.version,
        durationMs: Date.now() - started,
      },
      "message routed",
    );
  }

  return {
    async start() {
      if (consumer || stopping) return;
      const topic = deps.afterMedia ? "inbound.understood" : "inbound.message";
      consumer = await deps.bus.consume({
        topic,
        group: GROUPS.router,
        handler: async (event, ctx) => {
          if (event.type === topic) await route(event as InboundEvent, ctx);
        },
      });
    },
    stop(opts = {}) {
      stopping ??= (async () => {
        await consumer?.close({ timeoutMs: opts.timeoutMs ?? 10_000 });
      })();
      return stopping;
    },
  };
}
