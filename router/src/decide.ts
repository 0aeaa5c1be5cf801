import type { InboundMessageData, Route } from "@flank/shared/contract";
import { type Condition, conditionRegex, type Flow, matchText } from "@flank/shared/flows";
import { hasKeyword, messageText, replyIdsOf, wordsOf } from "./text-match.js";

/** What the decision needs of a stored conversation. */
export interface ConversationState {
  stage: string | null;
  route: Route;
  flowId?: string;
  /** ISO time of the previous inbound message. */
  lastInboundAt?: string;
  /** With route `human`: until when the bot stays quiet. */
  pausedUntil?: string;
  pauseReason?: string;
}

export type ConditionKind = "keywords" | "regex" | "replyIds" | "intent" | "idleMinutes" | "missedCall";

/** Why the conversation started over at the flow's initial stage. */
export type Restart = "new" | "idle" | "unknown-stage" | "flow-changed" | "terminal" | "released";

export interface Decision {
  stage: string;
  route: Route;
  reason: string;
  /** What decided: a transition, a handoff keyword, an agent/queue holding the chat, or nothing. */
  rule: "transition" | "handoff-keyword" | "held" | "none";
  restart?: Restart;
  transition?: { index: number; kind: ConditionKind; to: string };
  /** With route `human`: why the bot stays quiet (kept on the conversation). */
  pauseReason?: string;
}

/** Why group conversations go to route `human` when the flow does not let the bot answer groups. */
export const GROUP_PAUSE_REASON = "group message: automatic replies in groups are off in this flow";

export interface DecideOptions {
  now: Date;
  /** An intent label from the classifier; "none" or undefined matches no intent condition. */
  intent?: string;
}

const RESTART_REASON: Record<Restart, string> = {
  new: "new conversation",
  idle: "idle timeout: restarted",
  "unknown-stage": "stored stage unknown to the flow: restarted",
  "flow-changed": "flow changed: restarted",
  terminal: "conversation had ended: restarted",
  released: "back from a handoff stage: restarted",
};

/**
 * Moves a conversation to the stage the message calls for (docs/architecture.md "Stages and routing"). Pure: no I/O, the
 * clock comes in `now`. The first matching transition of the current stage wins; a handoff keyword
 * or a stage with `handoff` sends the chat to the queue; while an agent or the queue holds it the
 * stage does not move and the bot stays quiet. While a person answers from outside Flank (route
 * `human`, until the pause ends) nothing moves either. A group message gets the bot only when the
 * flow lets it answer groups, else route `human` (and the bot never answers a group privately).
 */
export function decide(
  conversation: ConversationState | undefined,
  message: InboundMessageData,
  flow: Flow,
  opts: DecideOptions,
): Decision {
  const groupPaused = message.groupId !== undefined && flow.groups?.autoReply !== true;
  const held = heldByPerson(conversation, groupPaused, flow, opts.now);
  if (held) return held;
  const resumed = conversation?.route === "human" ? { ...conversation, route: "bot" as const } : conversation;
  const decision = decideForBot(resumed, message, flow, opts);
  const withResume =
    conversation?.route === "human" && decision.route === "bot"
      ? { ...decision, reason: join("pause over: back to the bot", decision.reason) }
      : decision;
  if (groupPaused && withResume.route === "bot") {
    return {
      ...withResume,
      route: "human",
      pauseReason: GROUP_PAUSE_REASON,
      reason: join(withResume.reason, GROUP_PAUSE_REASON),
    };
  }
  return withResume;
}

/** Route `human` holds while its pause runs; a pause without end holds group messages the bot may not answer. */
function heldByPerson(
  conversation: ConversationState | undefined,
  groupPaused: boolean,
  flow: Flow,
  now: Date,
): Decision | undefined {
  if (conversation?.route !== "human") return undefined;
  const { pausedUntil, stage } = conversation;
  const until = pausedUntil ? Date.parse(pausedUntil) : Number.NaN;
  if (!(Number.isNaN(until) ? groupPaused : until > now.getTime())) return undefined;
  const pauseReason = conversation.pauseReason ?? "a person is answering";
  return {
    stage: stage && flow.stages[stage] ? stage : flow.initialStage,
    route: "human",
    rule: "held",
    reason: `paused${pausedUntil ? ` until ${pausedUntil}` : ""}: ${pauseReason}`,
    pauseReason,
  };
}

function decideForBot(
  conversation: ConversationState | undefined,
  message: InboundMessageData,
  flow: Flow,
  opts: DecideOptions,
): Decision {
  const last = conversation?.lastInboundAt ? Date.parse(conversation.lastInboundAt) : Number.NaN;
  const idleMinutes = Number.isNaN(last) ? undefined : Math.max(0, (opts.now.getTime() - last) / 60_000);
  const start = startingPoint(conversation, flow, idleMinutes);
  let { stage, restart } = start;
  const route = start.route;
  const base = { restart, reason: restart ? RESTART_REASON[restart] : "" };

  if (route !== "bot") {
    const reason = route === "queue" ? "waiting in the agent queue" : `held by ${route}`;
    return { stage, route, rule: "held", ...base, reason: join(base.reason, reason) };
  }

  // Rules read at most MATCH_TEXT_LIMIT characters: a flow's regex must not see an unbounded text.
  const full = messageText(message);
  const text = full === undefined ? undefined : matchText(full);
  const words = text === undefined ? undefined : wordsOf(text);
  const keyword = words && flow.handoffKeywords?.find((k) => hasKeyword(words, k));
  if (keyword) {
    return {
      stage,
      route: "queue",
      rule: "handoff-keyword",
      ...base,
      reason: join(base.reason, `handoff keyword "${keyword}"`),
    };
  }

  const input: MatchInput = {
    text,
    words,
    replyIds: replyIdsOf(message),
    intent: opts.intent,
    // An idle restart has used up the silence; it must not also fire idle transitions.
    idleMinutes: restart === "idle" ? undefined : idleMinutes,
  };
  let match = firstMatch(flow, stage, input);
  if (!match && !restart && flow.stages[stage]?.terminal) {
    restart = "terminal";
    stage = flow.initialStage;
    match = firstMatch(flow, stage, input);
  }
  const prefix = restart ? RESTART_REASON[restart] : "";
  if (!match) {
    const why =
      text === undefined && input.replyIds.length === 0 ? `no text in a ${message.type} message` : "";
    const reason = join(prefix, why || (restart ? "" : "no transition matched: stay"));
    return { stage, route, rule: "none", restart, reason: reason || "stay" };
  }
  const target = flow.stages[match.to];
  const handoff = target?.handoff === true;
  return {
    stage: match.to,
    route: handoff ? "queue" : route,
    rule: "transition",
    restart,
    transition: match,
    reason: join(prefix, `${match.kind} → ${match.to}${handoff ? " (handoff stage)" : ""}`),
  };
}

/** The intents a classifier could usefully pick for this stage (those its transitions test). */
export function stageIntents(flow: Flow, stage: string): string[] {
  return (flow.stages[stage]?.transitions ?? []).flatMap((t) => ("intent" in t.when ? [t.when.intent] : []));
}

function startingPoint(
  conversation: ConversationState | undefined,
  flow: Flow,
  idleMinutes: number | undefined,
): { stage: string; route: Route; restart?: Restart } {
  const initial = flow.initialStage;
  if (!conversation || conversation.stage === null) return { stage: initial, route: "bot", restart: "new" };
  // A long silence ends everything, a stale handoff included: the 24-hour window closed with it.
  if (idleMinutes !== undefined && idleMinutes > flow.idleTimeoutMinutes)
    return { stage: initial, route: "bot", restart: "idle" };
  const route = conversation.route;
  if (conversation.flowId && conversation.flowId !== flow.id)
    return { stage: initial, route, restart: "flow-changed" };
  const stage = flow.stages[conversation.stage];
  if (!stage) return { stage: initial, route, restart: "unknown-stage" };
  // An agent released the chat but the stage still says "hand off": start over with the bot.
  if (stage.handoff && route === "bot") return { stage: initial, route, restart: "released" };
  return { stage: conversation.stage, route };
}

interface MatchInput {
  text: string | undefined;
  /** The text normalized, between spaces (`wordsOf`). */
  words: string | undefined;
  replyIds: string[];
  intent: string | undefined;
  idleMinutes: number | undefined;
}

function firstMatch(flow: Flow, stage: string, input: MatchInput): Decision["transition"] {
  const transitions = flow.stages[stage]?.transitions ?? [];
  for (const [index, t] of transitions.entries()) {
    const kind = matches(t.when, input);
    if (kind) return { index, kind, to: t.to };
  }
  return undefined;
}

function matches(when: Condition, input: MatchInput): ConditionKind | undefined {
  if ("keywords" in when) {
    const { words } = input;
    return words && when.keywords.some((k) => hasKeyword(words, k)) ? "keywords" : undefined;
  }
  if ("regex" in when) {
    return input.text !== undefined && conditionRegex(when).test(input.text) ? "regex" : undefined;
  }
  if ("replyIds" in when)
    return input.replyIds.some((id) => when.replyIds.includes(id)) ? "replyIds" : undefined;
  if ("intent" in when) return input.intent && input.intent === when.intent ? "intent" : undefined;
  // Calls, not messages, satisfy it (call-decision.ts).
  if ("missedCall" in when) return undefined;
  return input.idleMinutes !== undefined && input.idleMinutes >= when.idleMinutes ? "idleMinutes" : undefined;
}

const join = (a: string, b: string) => (a && b ? `${a}; ${b}` : a || b);
