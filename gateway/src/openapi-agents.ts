import { CreateAgentBody, UpdateAgentBody } from "@flank/shared/agents";
import { z } from "zod";
import {
  AgentIssued,
  AgentList,
  AgentOne,
  AgentStatusView,
  AgentStreamQuery,
  AgentsQuery,
  ConversationDetail,
  ConversationQuery,
  ConversationView,
  CountsView,
  HandoffBody,
  HeartbeatView,
  MeView,
  OpResultView,
  PageQuery,
  pageOf,
  ReadBody,
  ReleaseBody,
  ReplyAccepted,
  ReplyBody,
  StoredMessageView,
  TakeBody,
  TransferBody,
} from "./api-schemas.js";
import {
  agentExample,
  conversationExample,
  sseExample,
  storedMessageExample,
  userExample,
} from "./openapi-examples.js";
import { error, IDEMPOTENCY, type Op } from "./openapi-op.js";

// The agent API as documented: every status listed is one the route really answers
// (routes/agents-openapi.test.ts provokes each and compares).

const E401 = error("missing or invalid key (a disabled agent's key is invalid)", "unauthorized");
const E403 = (what: string) => error(what);
const E404 = error("no such conversation");
const done = {
  description: "done",
  schema: OpResultView,
  example: { conversation: conversationExample, changed: true },
};
const CommandQueued = z.object({ commandId: z.string(), status: z.literal("queued") });
const conversationAction = (
  action: string,
  summary: string,
  body: z.ZodType,
  example: unknown,
  extra: Op["responses"] = {},
): Op => ({
  method: "post",
  path: `/v1/agents/conversations/{id}/${action}`,
  operationId: `${action}Conversation`,
  summary,
  tag: "agents",
  auth: "agent",
  pathParams: ["id"],
  body,
  example,
  responses: {
    ...(action === "reply"
      ? {
          202: {
            description: "queued for the sender",
            schema: ReplyAccepted,
            example: { idempotencyKey: "01J…", eventId: "01J…", status: "queued" },
          },
        }
      : {
          200: done,
          202: {
            description:
              "the router has not answered in time (10 s): the command is queued and applies when it runs",
            schema: CommandQueued,
            example: { commandId: "01J…", status: "queued" },
          },
          503: error("bus unavailable"),
        }),
    400: error("invalid body (names the fields), or an admin key without agentId"),
    401: E401,
    403: E403(
      "a send/read key acting as an agent, an agent key naming another agent, or a number outside the key's",
    ),
    404: E404,
    ...extra,
  },
});
const withResponses = (op: Op, responses: Op["responses"]): Op => ({
  ...op,
  responses: { ...op.responses, ...responses },
});
const conflict = (what: string) => error(`${what}; details.route says who holds it`);

export const AGENT_OPS: Op[] = [
  {
    method: "get",
    path: "/v1/agents",
    operationId: "listOnlineAgents",
    summary: "Agents online, least loaded first, with their names",
    tag: "agents",
    auth: "agent",
    query: AgentsQuery,
    responses: {
      200: {
        description: "the agents",
        schema: z.object({ agents: z.array(AgentStatusView) }),
        example: {
          agents: [{ agentId: "ana", name: "Ana Souza", lastSeen: 1780308000000, load: 2, online: true }],
        },
      },
      400: error("bad query"),
      401: E401,
      403: E403("a number outside the agent key's"),
    },
  },
  {
    method: "get",
    path: "/v1/agents/me",
    operationId: "getMe",
    summary: "The agent behind an agent key (the console's sign-in)",
    tag: "agents",
    auth: "agent",
    responses: {
      200: {
        description: "the agent",
        schema: MeView,
        example: { agent: agentExample, heartbeatTtlMs: 60000 },
      },
      401: E401,
      403: E403("not an agent key"),
    },
  },
  {
    method: "get",
    path: "/v1/agents/counts",
    operationId: "getConversationCounts",
    summary: "How many conversations are queued, the agent's, and in all (within the key's numbers)",
    tag: "agents",
    auth: "agent",
    responses: {
      200: { description: "the counts", schema: CountsView, example: { queue: 3, mine: 2, all: 41 } },
      401: E401,
    },
  },
  {
    method: "get",
    path: "/v1/agents/stream",
    operationId: "streamAgentEvents",
    summary:
      "Live events of the key's conversations as server-sent events: inbound.message, inbound.status, conversation.routed, conversation.updated, outbound.request, outbound.result",
    tag: "agents",
    auth: "agent",
    query: AgentStreamQuery,
    responses: {
      200: {
        description: "text/event-stream",
        contentType: "text/event-stream",
        schema: z.string(),
        example: sseExample,
      },
      400: error("bad query"),
      401: E401,
      403: E403("a number outside the agent key's"),
    },
  },
  ...(["heartbeat", "offline"] as const).map(
    (action): Op => ({
      method: "post",
      path: `/v1/agents/{agentId}/${action}`,
      operationId: action === "heartbeat" ? "heartbeat" : "goOffline",
      summary:
        action === "heartbeat"
          ? "Marks the agent online (until AGENT_HEARTBEAT_TTL_MS passes) and hands it queued conversations of its numbers"
          : "Marks the agent offline at once (its conversations stay with it)",
      tag: "agents",
      auth: "agent",
      pathParams: ["agentId"],
      responses: {
        200:
          action === "heartbeat"
            ? {
                description: "the agent's status",
                schema: HeartbeatView,
                example: {
                  agentId: "ana",
                  name: "Ana Souza",
                  lastSeen: 1780308000000,
                  load: 2,
                  online: true,
                  assignedFromQueue: 1,
                },
              }
            : {
                description: "the agent's status",
                schema: AgentStatusView,
                example: {
                  agentId: "ana",
                  name: "Ana Souza",
                  lastSeen: 1780308000000,
                  load: 2,
                  online: false,
                },
              },
        400: error("bad agent id"),
        401: E401,
        403: E403("a send/read key, or an agent key naming another agent"),
      },
    }),
  ),
  {
    method: "get",
    path: "/v1/agents/conversations",
    operationId: "listAgentConversations",
    summary: "Conversations for the console, most recently updated first, within the key's numbers",
    tag: "agents",
    auth: "agent",
    query: ConversationQuery,
    responses: {
      200: {
        description: "a page",
        schema: pageOf(ConversationView),
        example: { items: [conversationExample] },
      },
      400: error("bad query"),
      401: E401,
      403: E403("a number outside the agent key's"),
    },
  },
  {
    method: "get",
    path: "/v1/agents/conversations/{id}",
    operationId: "getAgentConversation",
    summary: "One conversation and the user's profile",
    tag: "agents",
    auth: "agent",
    pathParams: ["id"],
    responses: {
      200: {
        description: "the conversation",
        schema: ConversationDetail,
        example: { conversation: conversationExample, user: userExample },
      },
      401: E401,
      403: E403("a number outside the agent key's"),
      404: E404,
    },
  },
  {
    method: "get",
    path: "/v1/agents/conversations/{id}/messages",
    operationId: "listAgentConversationMessages",
    summary: "The conversation's messages, oldest first (outbound ones carry raw.source and raw.agentName)",
    tag: "agents",
    auth: "agent",
    pathParams: ["id"],
    query: PageQuery,
    responses: {
      200: {
        description: "a page",
        schema: pageOf(StoredMessageView),
        example: { items: [storedMessageExample] },
      },
      400: error("bad query"),
      401: E401,
      403: E403("a number outside the agent key's"),
      404: E404,
    },
  },
  conversationAction(
    "take",
    "The agent takes the conversation over from the bot or the queue",
    TakeBody,
    {},
    {
      409: conflict("another agent holds it"),
    },
  ),
  {
    ...conversationAction(
      "reply",
      "The agent replies: an outbound.request with source agent and the agent's name",
      ReplyBody,
      { text: "Hi, this is Ana. Let me check your order." },
      {
        409: error(
          "not held by this agent (code conflict: take it first), or the 24-hour window is closed and the message is not a template (code window_closed)",
        ),
        503: error("bus unavailable"),
      },
    ),
    headers: [IDEMPOTENCY],
  },
  conversationAction(
    "release",
    "Gives the agent's conversation back to the bot",
    ReleaseBody,
    { reason: "resolved" },
    {
      409: conflict("another agent holds it"),
    },
  ),
  conversationAction(
    "transfer",
    "Hands the agent's (or a queued) conversation to another agent who works on its number",
    TransferBody,
    { to: "bob", reason: "billing question" },
    {
      409: error(
        "held by someone else or by the bot (code conflict), or the target is unknown, disabled or not on this number (code agent_unavailable)",
      ),
    },
  ),
  withResponses(
    conversationAction("handoff", "Queues the conversation for a human (the user is told)", HandoffBody, {
      reason: "VIP customer",
    }),
    { 403: E403("a number outside the agent key's"), 409: conflict("an agent already holds it") },
  ),
  withResponses(
    conversationAction("read", "Marks the conversation read: its unread count goes to 0", ReadBody, {}),
    {
      400: error("invalid body"),
      403: E403("a number outside the agent key's"),
    },
  ),
  {
    method: "post",
    path: "/v1/admin/agents",
    operationId: "createAgent",
    summary: "Creates an agent and its key (answered once, stored only as a hash)",
    tag: "agents admin",
    auth: "admin",
    body: CreateAgentBody,
    example: { id: "ana", name: "Ana Souza", tenants: ["106540352242922"] },
    responses: {
      201: {
        description: "the agent and its key",
        schema: AgentIssued,
        example: { agent: agentExample, key: "flk_agent_…" },
      },
      400: error("names bad fields"),
      401: E401,
      403: E403("not an admin key"),
      409: error("the id is taken"),
    },
  },
  {
    method: "get",
    path: "/v1/admin/agents",
    operationId: "listAgents",
    summary: "Lists agents (never their keys)",
    tag: "agents admin",
    auth: "admin",
    responses: {
      200: { description: "the agents", schema: AgentList, example: { agents: [agentExample] } },
      401: E401,
      403: E403("not an admin key"),
    },
  },
  {
    method: "get",
    path: "/v1/admin/agents/{id}",
    operationId: "getAgent",
    summary: "One agent",
    tag: "agents admin",
    auth: "admin",
    pathParams: ["id"],
    responses: {
      200: { description: "the agent", schema: AgentOne, example: { agent: agentExample } },
      401: E401,
      403: E403("not an admin key"),
      404: error("no such agent"),
    },
  },
  {
    method: "patch",
    path: "/v1/admin/agents/{id}",
    operationId: "updateAgent",
    summary:
      'Changes an agent\'s name, numbers or enabled ({"enabled": false} disables it and its key at once)',
    tag: "agents admin",
    auth: "admin",
    pathParams: ["id"],
    body: UpdateAgentBody,
    example: { enabled: false },
    responses: {
      200: {
        description: "the agent",
        schema: AgentOne,
        example: { agent: { ...agentExample, enabled: false } },
      },
      400: error("names bad fields, or nothing to change"),
      401: E401,
      403: E403("not an admin key"),
      404: error("no such agent"),
    },
  },
  {
    method: "post",
    path: "/v1/admin/agents/{id}/key",
    operationId: "rotateAgentKey",
    summary: "Gives the agent a new key; the old one stops working",
    tag: "agents admin",
    auth: "admin",
    pathParams: ["id"],
    responses: {
      200: {
        description: "the agent and its new key",
        schema: AgentIssued,
        example: { agent: agentExample, key: "flk_agent_…" },
      },
      401: E401,
      403: E403("not an admin key"),
      404: error("no such agent"),
    },
  },
];
