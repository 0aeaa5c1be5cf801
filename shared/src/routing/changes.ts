import type { ConversationUpdatedData, Route } from "../events/schemas.js";

export interface RoutingState {
  stage: string | null;
  route: Route;
  agentId?: string;
  pausedUntil?: string;
}

export const agentOf = (route: Route): string | undefined =>
  route.startsWith("agent:") ? route.slice("agent:".length) : undefined;

export const agentRoute = (agentId: string): Route => `agent:${agentId}`;

/** The routing fields of a conversation that a route change moves together. */
export interface RouteFields {
  route: Route;
  agentId?: string;
  unread?: number;
  awaitingAgentSince?: string;
}

/**
 * The conversation on a new route (pure): its agent; leaving the bot starts the wait for a first
 * agent reply (at `at`), going back to the bot ends it and clears the unread count.
 */
export function withRoute<T extends RouteFields>(c: T, route: Route, at: string): T {
  const toBot = route === "bot";
  return {
    ...c,
    route,
    agentId: agentOf(route),
    unread: toBot ? undefined : c.unread,
    awaitingAgentSince: toBot ? undefined : c.route === "bot" ? at : c.awaitingAgentSince,
  };
}

/**
 * The `conversation.updated` payloads for one saved change (pure): a stage move, a handoff to the
 * queue, an assignment to an agent, a release back to the bot, or a pause for a person answering
 * outside Flank (route `human`) and its end. Events naming an agent carry `agentId`, so they also
 * reach that agent's tap channel.
 */
export function changesBetween(
  before: RoutingState | undefined,
  after: RoutingState,
  reason: string,
): ConversationUpdatedData[] {
  const changes: ConversationUpdatedData[] = [];
  const stage = after.stage ?? undefined;
  const prevStage = before?.stage ?? undefined;
  if (stage !== undefined && stage !== prevStage) {
    changes.push({ change: "stage", stage, route: after.route, previous: { stage: prevStage }, reason });
  }
  const prevRoute = before?.route ?? "bot";
  const extended =
    after.route === "human" && prevRoute === "human" && after.pausedUntil !== before?.pausedUntil;
  if (after.route === prevRoute && !extended) return changes;
  const prevAgent = agentOf(prevRoute);
  const previous = { stage: prevStage, route: prevRoute, ...(prevAgent ? { agentId: prevAgent } : {}) };
  const nextAgent = agentOf(after.route);
  if (after.route === "human") {
    const until = after.pausedUntil ? { pausedUntil: after.pausedUntil } : {};
    changes.push({ change: "paused", stage, route: "human", previous, reason, ...until });
  } else if (prevRoute === "human" && after.route === "bot") {
    changes.push({ change: "resumed", stage, route: "bot", previous, reason });
  } else if (nextAgent) {
    changes.push({ change: "assignment", stage, route: after.route, agentId: nextAgent, previous, reason });
  } else if (after.route === "queue") {
    changes.push({ change: "handoff", stage, route: "queue", previous, reason });
  } else {
    changes.push({
      change: "released",
      stage,
      route: after.route,
      previous,
      reason,
      ...(prevAgent ? { agentId: prevAgent } : {}),
    });
  }
  return changes;
}
