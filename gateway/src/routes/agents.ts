import { AgentId, agentCovers } from "@flank/shared/agents";
import type { Bus } from "@flank/shared/bus";
import type { Config } from "@flank/shared/config";
import { createEvent, type OutboundMessage } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import { type AgentPresence, type AgentStatus, eligibleOnline, recipientOf } from "@flank/shared/routing";
import type { Conversation, Stores } from "@flank/shared/store";
import { mayDeliver } from "@flank/shared/whatsapp";
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
import type { CommandOutcome, RunCommand } from "../conversation-commands.js";
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
  runCommand: RunCommand;
  /** Ends open agent streams when the gateway stops. */
  shutdown?: AbortSignal;
  keepAliveMs?: number;
}

/** Queued conversations handed out per heartbeat, so an agent coming online picks up waiting chats. */
const ASSIGN_PER_HEARTBEAT = 20;

/**
 * Human agents (docs/architecture.md "Stages and routing", "HTTP surface"): presence, the conversation lists, take over, reply,
 * release, transfer and handoff, and a live stream for the console. Mounted under the key check
 * (scope "agents"); agent-access.ts decides what each key may do. The gateway reads
 * conversations but never writes them: every change is a command the router applies.
 */
export function agentRoutes(deps: AgentRouteDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app, "/v1");
  const { runCommand } = deps;
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
    // An agent key picks up waiting chats of its own numbers; the router gives each to the least
    // loaded. An agent at its cap asks for none: a heartbeat is no occasion for commands that
    // cannot succeed (another agent with room asks on its own heartbeat).
    const cap = deps.config.router.agentMaxConversations;
    const room = cap > 0 ? Math.max(0, cap - status.load) : ASSIGN_PER_HEARTBEAT;
    const queued =
      room === 0
        ? { items: [] }
        : await deps.stores.conversations.list(
            { ...tenantScope(c, undefined), route: "queue" },
            { limit: Math.min(room, ASSIGN_PER_HEARTBEAT) },
          );
    const outcomes = await Promise.all(
      queued.items.map((conversation) =>
        runCommand(conversation, { command: "assign", reason: "agent online" }),
      ),
    );
    for (const { result } of outcomes) if (result?.ok && result.changed) assigned++;
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
    const { agentId, conversation } = await acting(c, body.agentId);
    return answer(c, await runCommand(conversation, { command: "take", agent: agentId }));
  });

  on("releaseConversation", async (c) => {
    const body = await bodyOf(c, ReleaseBody);
    const { agentId, conversation } = await acting(c, body.agentId);
    return answer(
      c,
      await runCommand(conversation, {
        command: "release",
        agent: agentId,
        ...(body.reason ? { reason: body.reason } : {}),
      }),
    );
  });

  on("transferConversation", async (c) => {
    const body = await bodyOf(c, TransferBody);
    const { agentId, conversation } = await acting(c, body.agentId);
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
      await runCommand(conversation, {
        command: "transfer",
        agent: agentId,
        to: body.to,
        ...(body.reason ? { reason: body.reason } : {}),
      }),
    );
  });

  on("readConversation", async (c) => {
    await bodyOf(c, ReadBody);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    return answer(c, await runCommand(conversation, { command: "read" }));
  });

  on("handoffConversation", async (c) => {
    const body = await bodyOf(c, HandoffBody);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id"));
    return answer(
      c,
      await runCommand(conversation, { command: "handoff", reason: body.reason ?? "handoff by API" }),
    );
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
    if (!mayDeliver(message, conversation.lastInboundAt, Date.now())) {
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
    // Unread to zero and the first-reply wait ended, by the router; the reply need not wait for it.
    void runCommand(conversation, { command: "agent_replied", agent: agentId })
      .then(({ result }) => {
        if (result?.waitedMs !== undefined) deps.agentMetrics.firstReply.observe(result.waitedMs / 1000);
      })
      .catch((err: unknown) =>
        deps.log.warn({ err, conversationId: conversation.id }, "agent reply not noted"),
      );
    addLogFields(c, { conversationId: conversation.id, agentId, idempotencyKey });
    return c.json({ idempotencyKey, eventId: event.id, status: "queued" }, 202);
  });

  /** The conversation of the path (404, or 403 outside the key's numbers) and the agent acting on it. */
  async function acting(
    c: Context<GatewayEnv>,
    named: string | undefined,
  ): Promise<{ agentId: string; conversation: Conversation }> {
    const agentId = actingAgent(c, named);
    const conversation = await visibleConversation(c, deps.stores.conversations, c.req.param("id") ?? "");
    return { agentId, conversation };
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

/** The router's answer; 202 when it has not answered in time (the command is queued and will apply). */
function answer(c: Context<GatewayEnv>, { commandId, result }: CommandOutcome) {
  addLogFields(c, { commandId });
  if (!result) return c.json({ commandId, status: "queued" as const }, 202);
  if (result.ok) return c.json({ conversation: result.conversation, changed: result.changed ?? false }, 200);
  if (result.code === "not_found") throw new ApiError("not_found", result.message ?? "no such conversation");
  return conflict(c, result.message ?? "conflict", result.conversation);
}

function conflict(c: Context<GatewayEnv>, message: string, conversation?: Conversation, code = "conflict") {
  return c.json(errorBody(c, code, message, conversation && { route: conversation.route }), 409);
}
