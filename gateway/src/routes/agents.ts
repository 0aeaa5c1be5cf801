import {
  type AgentPresence,
  assignQueued,
  type Bus,
  type Conversation,
  createEvent,
  handoffConversation,
  InvalidEventError,
  type Logger,
  type OpResult,
  OutboundMessage,
  type RoutingDeps,
  releaseConversation,
  type Stores,
  takeConversation,
} from "@flank/shared";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ConversationQuery } from "../api-schemas.js";
import { readBody } from "../body.js";
import type { GatewayEnv } from "../deps.js";
import { ApiError, errorBody, validationError } from "../errors.js";
import { addLogFields } from "../observe.js";
import { idempotencyKeyOf } from "../outbound.js";
import { API_BODY_LIMIT, parseJson, queryOf } from "../validate.js";

export interface AgentRouteDeps {
  bus: Bus;
  stores: Stores;
  log: Logger;
  presence: AgentPresence;
}

const AgentId = z.string().regex(/^[A-Za-z0-9_.@-]{1,100}$/, "letters, digits, _ . @ - (1 to 100)");
const TakeBody = z.object({ agentId: AgentId });
const ReleaseBody = z.object({ agentId: AgentId.optional(), reason: z.string().max(200).optional() });
const HandoffBody = z.object({ reason: z.string().max(200).optional() });
const ReplyBody = z
  .object({
    agentId: AgentId,
    text: z.string().min(1).max(4096).optional(),
    message: OutboundMessage.optional(),
  })
  .refine((b) => Boolean(b.text) !== Boolean(b.message), { message: "give exactly one of text or message" });

/** Free-form messages need an inbound message within 24 hours; templates do not (Meta error 131047). */
const WINDOW_MS = 24 * 3600 * 1000;
/** Queued conversations handed out per heartbeat, so an agent coming online picks up waiting chats. */
const ASSIGN_PER_HEARTBEAT = 20;

/**
 * Human agents (ARCHITECTURE §5, §7): presence, the conversation list, take over, reply, release
 * and handoff. Mounted under the API-key auth. Screens follow `flank.conversation.<id>` and
 * `flank.agent.<agentId>` for live updates.
 */
export function agentRoutes(deps: AgentRouteDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const routing: RoutingDeps = {
    conversations: deps.stores.conversations,
    presence: deps.presence,
    bus: deps.bus,
    log: deps.log,
  };

  app.get("/agents", async (c) => c.json({ agents: await deps.presence.online() }, 200));

  app.post("/agents/:agentId/heartbeat", async (c) => {
    const agentId = agentParam(c);
    const status = await deps.presence.heartbeat(agentId);
    let assigned = 0;
    const queued = await deps.stores.conversations.list({ route: "queue" }, { limit: ASSIGN_PER_HEARTBEAT });
    for (const conversation of queued.items) {
      const res = await assignQueued(routing, conversation.id, "agent online");
      if (res.ok && res.changed) assigned++;
    }
    return c.json({ ...status, assignedFromQueue: assigned }, 200);
  });

  app.post("/agents/:agentId/offline", async (c) => {
    const agentId = agentParam(c);
    await deps.presence.offline(agentId);
    return c.json(await deps.presence.status(agentId), 200);
  });

  app.get("/agents/conversations", async (c) => {
    const q = queryOf(c, ConversationQuery);
    const page = await deps.stores.conversations.list(
      { tenant: q.tenant, route: q.route, stage: q.stage, agentId: q.agent },
      { limit: q.limit, cursor: q.cursor },
    );
    return c.json(page, 200);
  });

  app.post("/agents/conversations/:id/take", async (c) => {
    const body = await bodyOf(c, TakeBody);
    return answer(c, await takeConversation(routing, c.req.param("id"), body.agentId));
  });

  app.post("/agents/conversations/:id/release", async (c) => {
    const body = await bodyOf(c, ReleaseBody);
    return answer(c, await releaseConversation(routing, c.req.param("id"), body));
  });

  app.post("/agents/conversations/:id/handoff", async (c) => {
    const body = await bodyOf(c, HandoffBody);
    return answer(c, await handoffConversation(routing, c.req.param("id"), body.reason ?? "handoff by API"));
  });

  app.post("/agents/conversations/:id/reply", async (c) => {
    const body = await bodyOf(c, ReplyBody);
    const idempotencyKey = idempotencyKeyOf(c.req.header("idempotency-key"));
    const conversation = await deps.stores.conversations.get(c.req.param("id"));
    if (!conversation) throw new ApiError("not_found", `no conversation ${c.req.param("id")}`);
    if (conversation.route !== `agent:${body.agentId}`) {
      return conflict(
        c,
        `conversation is held by ${conversation.route}, not agent:${body.agentId}; take it first`,
        conversation,
      );
    }
    const message: OutboundMessage = body.message ?? { type: "text", body: body.text ?? "" };
    const last = conversation.lastInboundAt ? Date.parse(conversation.lastInboundAt) : 0;
    if (message.type !== "template" && message.type !== "read" && !(Date.now() - last < WINDOW_MS)) {
      return conflict(
        c,
        "the 24-hour window is closed: only a template can be sent",
        conversation,
        "window_closed",
      );
    }
    const event = createEvent({
      type: "outbound.request",
      tenant: conversation.tenant,
      conversationId: conversation.id,
      data: {
        idempotencyKey,
        ...recipientOf(conversation),
        message,
        source: "agent",
        agentId: body.agentId,
      },
    });
    try {
      await deps.bus.publish(event);
    } catch (err) {
      if (err instanceof InvalidEventError) throw new ApiError("validation_failed", err.message);
      deps.log.error({ err }, "agent reply publish failed");
      throw new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
    }
    addLogFields(c, { conversationId: conversation.id, agentId: body.agentId, idempotencyKey });
    return c.json({ idempotencyKey, eventId: event.id, status: "queued" }, 202);
  });

  return app;
}

function recipientOf(c: Conversation): { to?: string; recipient?: string } {
  if (c.waId) return { to: c.waId };
  if (c.userId) return { recipient: c.userId };
  return { to: c.user };
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
