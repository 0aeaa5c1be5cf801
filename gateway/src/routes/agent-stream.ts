import { CHANNEL_PREFIX, type FlankEvent, type Topic, topicChannel } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { Context } from "hono";
import { AgentStreamQuery } from "../api-schemas.js";
import type { GatewayEnv } from "../deps.js";
import { tapStream } from "../sse-tap.js";
import { queryOf } from "../validate.js";
import { tenantScope } from "./agent-access.js";

/** What an agent's screen follows: new messages, replies and their ticks, route and stage changes. */
export const AGENT_STREAM_TOPICS: readonly Topic[] = [
  "inbound.message",
  "inbound.status",
  "conversation.routed",
  "conversation.updated",
  "outbound.request",
  "outbound.result",
];

/**
 * `GET /v1/agents/stream`: the live events of the conversations the key may see (an agent key:
 * its business numbers), as server-sent events from one bus tap. Each event is taken from its
 * topic channel only, so it is sent once.
 */
export function agentStream(
  c: Context<GatewayEnv>,
  opts: {
    bus: Parameters<typeof tapStream>[1]["bus"];
    log: Logger;
    keepAliveMs: number;
    shutdown?: AbortSignal;
  },
): Response {
  const { tenant } = queryOf(c, AgentStreamQuery);
  const scope = tenantScope(c, tenant);
  const topics = new Set<string>(AGENT_STREAM_TOPICS);
  const wanted = (event: FlankEvent, channel: string) =>
    topics.has(event.type) &&
    channel === topicChannel(event.type) &&
    (scope.tenant === undefined || event.tenant === scope.tenant) &&
    (scope.tenants === undefined || scope.tenants.includes(event.tenant));
  return tapStream(c, {
    bus: opts.bus,
    log: opts.log,
    pattern: `${CHANNEL_PREFIX}.>`,
    wanted,
    ready: { topics: AGENT_STREAM_TOPICS, ...scope },
    keepAliveMs: opts.keepAliveMs,
    ...(opts.shutdown ? { shutdown: opts.shutdown } : {}),
  });
}
