import {
  AgentId,
  type AgentPresence,
  type AgentStatus,
  agentCovers,
  assignQueued,
  type Bus,
  type Config,
  type Conversation,
  createEvent,
  eligibleOnline,
  handoffConversation,
  type Logger,
  markRead,
  noteAgentReply,
  type OpResult,
  type OutboundMessage,
  type RoutingDeps,
  recipientOf,
  releaseConversation,
  type Stores,
  takeConversation,
  transferConversation,
  windowOpen,
} from "@flank/shared";
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { AgentMetrics } from "../agent-metrics.js";
import {
  AgentsQuery,
  ConversationQuery,
  HandoffBody,
  PageQuery,
  ReadBody,
  ReleaseBody,
  ReplyBody,
  TakeBody,
  TransferBody,
} from "../api-schemas.js";
import { readBody } from "../body.js";
import type { GatewayEnv } from "../deps.js";
import { ApiError, errorBody, validationError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { idempotencyKeyOf, publishOutbound } from "../outbound.js";
import { API_BODY_LIMIT, parseJson, queryOf } from "../validate.js";
import { actingAgent, checkTenant, keyAgent, tenantScope, visibleConversation } from "./agent-access.js";
import { agentStream } from "./agent-stream.js";

export interface AgentRouteDeps {
  bus: Bus;
  stores: Stores;
  log: Logger;
  presence: AgentPresence;
  config: Pick<Config, "router">;
  agentMetrics: Pick<AgentMetrics, "firstReply">;
  /** Ends open agent streams when the gateway stops. */
  shutdown?: AbortSignal;
  keepAliveMs?: number;
}

/** Queued conversations handed out per heartbeat, so an agent coming online picks up waiting chats. */
const ASSIGN_PER_HEARTBEAT = 20;

/**
 * Human agents (ARCHITECTURE §5, §7): presence, the conversation lists, take over, reply,
 * release, transfer and handoff, and a live stream for the console. Mounted under the key check
 * (scope "agents"); agent-access.ts decides what each key may do.
 */
export function agentRoutes(deps: AgentRouteDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app, "/v1");
  const routing: RoutingDeps = {
    conversations: deps.stores.conversations,
    presence: deps.presence,
    bus: deps.bus,
    log: deps.log,
    agents: deps.stores.agents,
  };
  const names = async () => new Map((await deps.stores.agents.list()).map((a) => [a.id, a.name]));
  const withName = (s: AgentStatus, known: Map<string, string>) => {
    const name = known.get(s.agentId);
    return name ? { ...s, name } : s;
  };

  on("listOnlineAgents", async (c) => {
    const { tenant } = queryOf(c, AgentsQuery);
    if (tenant) checkTenant(c, tenant);
    const online = await deps.presence.online();
    const eligible = tenant
      ? new Set(await eligibleOnline(deps.presence, deps.stores.agents, tenant))
      : undefined;
    const known = await names();
    const agents = online.filter((s) => !eligible || eligible.has(s.agentId)).map((s) => withName(s, known));
    return c.json({ agents }, 200);
  });

  on("getMe", async (c) => {
    const agent = keyAgent(c);
    if (!agent) throw new ApiError("forbidden", "not an agent key: /v1/agents/me answers agent keys only");
    const { keyHash: _hash, ...view } = agent;
    return c.json({ agent: view, heartbeatTtlMs: deps.config.router.agentHeartbeatTtlMs }, 200);
  });

  on("getConversationCounts", async (c) => {
    const scope = tenantScope(c, undefined);
    const agent = keyAgent(c);
    const [queue, all, mine] = await Promise.all([
      deps.stores.conversations.count({ ...scope, route: "queue" }),
      deps.stores.conversations.count(scope),
      agent ? deps.stores.conversations.count({ ...scope, agentId: agent.id }) : undefined,
    ]);
    return c.json({ queue, all, ...(mine === undefined ? {} : { mine }) }, 200);
  });

  on("streamAgentEvents", (c) =>
    agentStream(c, {
      bus: deps.bus,
      log: deps.log,
      keepAliveMs: deps.keepAliveMs ?? 15_000,
      ...(deps.shutdown ? { shutdown: deps.shutdown } : {}),
    }),
  );

  on("heartbeat", async (c) => {
    const agentId = actingAgent(c, agentParam(c));
    const status = await deps.presence.heartbeat(agentId);
    let assigned = 0;
    // An agent key picks up waiting chats of its own numbers; assignQueued picks the least loaded.
    const queued = await deps.stores.conversations.list(
      { ...tenantScope(c, undefined), route: "queue" },
      { limit: ASSIGN_PER_HEARTBEAT },
    );
    for (const conversation of queued.items) {
      const res = await assignQueued(routing, conversation.id, "agent online");
      if (res.ok && res.changed) assigned++;
    }
    return c.json({ ...withName(status, await names()), assignedFromQueue: assigned }, 200);
  });

  on("goOffline", async (c) => {
    const agentId = actingAgent(c, agentParam(c));
    await deps.presence.offline(agentId);
    return c.json(withName(await deps.presence.status(agentId), await names()), 200);
  });

  on("listAgentConversations", async (c) => {
    const q = queryOf(c, ConversationQuery);
    const page = await deps.stores.conversations.list(
      { ...tenantScope(c, q.tenant), route: q.route, stage: q.stage, agentId: q.agent },
      { limit: q.limit, cursor: q.cursor },
    );
    return c.json(page, 200);
  });

  on("getAgentConversation", async (c) => {
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    const user = await deps.stores.users.find(conversation.tenant, {
      ...(conversation.waId ? { waId: conversation.waId } : {}),
      ...(conversation.userId ? { userId: conversation.userId } : {}),
    });
    return c.json({ conversation, ...(user ? { user } : {}) }, 200);
  });

  on("listAgentConversationMessages", async (c) => {
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    const q = queryOf(c, PageQuery);
    return c.json(
      await deps.stores.messages.listByConversation(conversation.id, { limit: q.limit, cursor: q.cursor }),
      200,
    );
  });

  on("takeConversation", async (c) => {
    const body = await bodyOf(c, TakeBody);
    const { id, agentId } = await acting(c, body.agentId);
    return answer(c, await takeConversation(routing, id, agentId));
  });

  on("releaseConversation", async (c) => {
    const body = await bodyOf(c, ReleaseBody);
    const { id, agentId } = await acting(c, body.agentId);
    return answer(c, await releaseConversation(routing, id, { agentId, reason: body.reason }));
  });

  on("transferConversation", async (c) => {
    const body = await bodyOf(c, TransferBody);
    const { id, agentId, conversation } = await acting(c, body.agentId);
    // The new holder must be a known, enabled agent who may work on this number.
    const target = await deps.stores.agents.get(body.to);
    if (!target?.enabled || !agentCovers(target, conversation.tenant)) {
      return conflict(
        c,
        `agent ${body.to} cannot take conversations of ${conversation.tenant}`,
        conversation,
        "agent_unavailable",
      );
    }
    return answer(
      c,
      await transferConversation(routing, id, { to: body.to, from: agentId, reason: body.reason }),
    );
  });

  on("readConversation", async (c) => {
    await bodyOf(c, ReadBody);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    return answer(c, await markRead(routing, conversation.id));
  });

  on("handoffConversation", async (c) => {
    const body = await bodyOf(c, HandoffBody);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    return answer(c, await handoffConversation(routing, conversation.id, body.reason ?? "handoff by API"));
  });

  on("replyConversation", async (c) => {
    const body = await bodyOf(c, ReplyBody);
    const idempotencyKey = idempotencyKeyOf(c.req.header("idempotency-key"));
    const { agentId, conversation } = await acting(c, body.agentId);
    if (conversation.route !== `agent:${agentId}`) {
      return conflict(
        c,
        `conversation is held by ${conversation.route}, not agent:${agentId}; take it first`,
        conversation,
      );
    }
    const message: OutboundMessage = body.message ?? { type: "text", body: body.text ?? "" };
    if (
      message.type !== "template" &&
      message.type !== "read" &&
      !windowOpen(conversation.lastInboundAt, Date.now())
    ) {
      return conflict(
        c,
        "the 24-hour window is closed: only a template can be sent",
        conversation,
        "window_closed",
      );
    }
    const agentName = (keyAgent(c) ?? (await deps.stores.agents.get(agentId)))?.name;
    const event = createEvent({
      type: "outbound.request",
      tenant: conversation.tenant,
      conversationId: conversation.id,
      data: {
        idempotencyKey,
        ...recipientOf(conversation),
        message,
        source: "agent",
        agentId,
        ...(agentName ? { agentName } : {}),
      },
    });
    await publishOutbound(deps, event);
    const { waitedMs } = await noteAgentReply(routing, conversation.id);
    if (waitedMs !== undefined) deps.agentMetrics.firstReply.observe(waitedMs / 1000);
    addLogFields(c, { conversationId: conversation.id, agentId, idempotencyKey });
    return c.json({ idempotencyKey, eventId: event.id, status: "queued" }, 202);
  });

  /** The conversation of the path (404, or 403 outside the key's numbers) and the agent acting on it. */
  async function acting(
    c: Context<GatewayEnv>,
    named: string | undefined,
  ): Promise<{ id: string; agentId: string; conversation: Conversation }> {
    const agentId = actingAgent(c, named);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id") ?? "");
    return { id: conversation.id, agentId, conversation };
  }

  return app;
}

function agentParam(c: Context<GatewayEnv>): string {
  const parsed = AgentId.safeParse(c.req.param("agentId"));
  if (!parsed.success) throw validationError(parsed.error, "agentId");
  return parsed.data;
}

/** The JSON body; an empty body reads as `{}` so bodiless actions (handoff) need none. */
async function bodyOf<T extends z.ZodType>(c: Context<GatewayEnv>, schema: T): Promise<z.output<T>> {
  const bytes = await readBody(c, API_BODY_LIMIT);
  const parsed = schema.safeParse(bytes.length === 0 ? {} : parseJson(bytes));
  if (!parsed.success) throw validationError(parsed.error, "body");
  return parsed.data;
}

function answer(c: Context<GatewayEnv>, result: OpResult) {
  if (result.ok) return c.json({ conversation: result.conversation, changed: result.changed }, 200);
  if (result.code === "not_found") throw new ApiError("not_found", result.message);
  return conflict(c, result.message, result.conversation);
}

function conflict(c: Context<GatewayEnv>, message: string, conversation?: Conversation, code = "conflict") {
  return c.json(errorBody(c, code, message, conversation && { route: conversation.route }), 409);
}
