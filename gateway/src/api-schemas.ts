import { AgentId, AgentView } from "@flank/shared/agents";
import { OutboundMessage, OutboundRequestData, STATUS_VALUES, TOPICS } from "@flank/shared/contract";
import { z } from "zod";

// Request and response shapes of the public API: validation and the OpenAPI document share them.

const PHONE = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ()-]{5,24}$/, "expected a phone number with country code, e.g. +16505551234");
const PHONE_NUMBER_ID = z.string().regex(/^\d+$/, "expected the business phone_number_id (digits)");

export const SendBody = z.object({
  number: PHONE.describe("recipient phone number with country code, with or without +"),
  text: z.string().min(1).max(4096),
  phoneNumberId: PHONE_NUMBER_ID.optional().describe("sending business number; default PHONE_NUMBER_ID"),
});
export type SendBody = z.infer<typeof SendBody>;

export const Queued = z.object({ id: z.string(), status: z.literal("queued") });
export const Accepted = z.object({ id: z.string().describe("idempotency key; GET /v1/messages/{id}") });

// POST /v1/messages takes an outbound.request without the fields the gateway sets itself.
const { source: _source, idempotencyKey: _key, ...requestShape } = OutboundRequestData.shape;
export const MessageBody = z
  .object({
    ...requestShape,
    phoneNumberId: PHONE_NUMBER_ID.optional().describe("sending business number; default PHONE_NUMBER_ID"),
  })
  .refine((r) => r.to || r.recipient, { message: "to or recipient is required", path: ["to"] });
export type MessageBody = z.infer<typeof MessageBody>;

export const GetBody = z.object({
  number: PHONE.describe("the user's phone number or wa_id, with or without +"),
  limit: z.number().int().min(0).max(100_000).default(0).describe("the last N messages; 0 = all"),
});

const StatusEntry = z.object({
  status: z.enum(STATUS_VALUES),
  statusName: z.string().optional().describe("Meta's name for a status Flank does not know (status unknown)"),
  timestamp: z.string(),
  errors: z.array(z.record(z.string(), z.unknown())).optional(),
  pricing: z.record(z.string(), z.unknown()).optional(),
});
export const StoredMessageView = z.object({
  id: z.string(),
  wamid: z.string().optional(),
  conversationId: z.string(),
  tenant: z.string(),
  direction: z.enum(["inbound", "outbound"]),
  from: z.string(),
  to: z.string(),
  type: z.string(),
  body: z.string().optional(),
  transcript: z
    .string()
    .optional()
    .describe("a voice note's or audio's transcript (TRANSCRIBE_MODEL, docs/media.md)"),
  media: z
    .object({ id: z.string(), mimeType: z.string().optional(), size: z.number().optional() })
    .optional()
    .describe("an inbound media file: GET /v1/media/{id} serves it once stored"),
  timestamp: z.string(),
  status: z.enum([...STATUS_VALUES, "queued"]).optional(),
  statuses: z.array(StatusEntry),
  raw: z.unknown(),
  origin: z
    .enum(["business_app", "history"])
    .optional()
    .describe("not sent through Flank: written in the WhatsApp Business app, or imported from its history"),
  edits: z
    .array(z.object({ id: z.string(), body: z.string().optional(), type: z.string(), at: z.string() }))
    .optional()
    .describe("earlier versions of an edited message, oldest first; body is the latest"),
  deletedAt: z.string().optional().describe("when the sender deleted the message for everyone"),
});

export const HistoryResponse = z.object({
  count: z.number().int(),
  messages: z.array(
    z.object({
      id: z.string(),
      from: z.string(),
      to: z.string(),
      timestamp: z.string(),
      type: z.string(),
      body: z.string().optional(),
      raw: z.unknown(),
    }),
  ),
});

const limit = (fallback: number) => z.coerce.number().int().min(1).max(500).default(fallback);

export const PageQuery = z.object({ limit: limit(50), cursor: z.string().min(1).optional() });
export const ConversationQuery = PageQuery.extend({
  tenant: z.string().min(1).optional(),
  route: z.string().min(1).optional().describe("bot, queue or agent:<id>"),
  stage: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
});

export const ConversationView = z.object({
  id: z.string(),
  tenant: z.string(),
  user: z.string(),
  waId: z.string().optional(),
  userId: z.string().optional(),
  profileName: z.string().optional(),
  flowId: z.string().optional(),
  stage: z.string().nullable(),
  route: z.string(),
  agentId: z.string().optional(),
  lastInboundAt: z.string().optional(),
  unread: z.number().int().optional().describe("inbound messages waiting for a human"),
  awaitingAgentSince: z.string().optional().describe("left the bot at; cleared by the first agent reply"),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().optional(),
  version: z.number().int(),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() });

export const StreamQuery = z.object({
  topic: z.enum(TOPICS).optional(),
  conversation: z.string().min(1).optional(),
});

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  requestId: z.string(),
});

export const VerifyQuery = z.object({
  "hub.mode": z.literal("subscribe"),
  "hub.verify_token": z.string(),
  "hub.challenge": z.string(),
});

// The agent API (/v1/agents/…). `agentId` names the acting agent: implied by an agent key (and
// then optional), required with an admin key.
const acting = AgentId.optional().describe(
  "the acting agent: implied by an agent key, required with an admin key",
);
const reason = z.string().max(200).optional().describe("recorded on the conversation.updated event");

export const TakeBody = z.object({ agentId: acting });
export const ReleaseBody = z.object({ agentId: acting, reason });
export const HandoffBody = z.object({ reason });
export const TransferBody = z.object({
  agentId: acting,
  to: AgentId.describe("the agent who gets it"),
  reason,
});
export const ReadBody = z.object({});
export const ReplyBody = z
  .object({
    agentId: acting,
    text: z.string().min(1).max(4096).optional().describe("a text reply"),
    message: OutboundMessage.optional().describe(
      "any message instead of text, e.g. quick-reply buttons or a template once the 24-hour window has closed",
    ),
  })
  .refine((b) => Boolean(b.text) !== Boolean(b.message), { message: "give exactly one of text or message" });

export const AgentStatusView = z.object({
  agentId: z.string(),
  name: z.string().optional(),
  lastSeen: z.number().describe("epoch ms of the last heartbeat"),
  load: z.number().int(),
  online: z.boolean(),
});
export const AgentsQuery = z.object({
  tenant: z.string().min(1).optional().describe("only agents who may work on this business number"),
});
export const HeartbeatView = AgentStatusView.extend({ assignedFromQueue: z.number().int() });
export const MeView = z.object({
  agent: AgentView,
  heartbeatTtlMs: z
    .number()
    .int()
    .describe("send a heartbeat well within this (the console: every third of it)"),
});
export const CountsView = z.object({
  queue: z.number().int(),
  mine: z.number().int().optional().describe("with an agent key"),
  all: z.number().int(),
});
export const OpResultView = z.object({ conversation: ConversationView, changed: z.boolean() });
export const ReplyAccepted = z.object({
  idempotencyKey: z.string(),
  eventId: z.string(),
  status: z.literal("queued"),
});
export const UserView = z.object({
  id: z.string(),
  waId: z.string().optional(),
  userId: z.string().optional(),
  profileName: z.string().optional(),
  username: z.string().optional(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});
export const ConversationDetail = z.object({ conversation: ConversationView, user: UserView.optional() });
export const AgentStreamQuery = z.object({
  tenant: z.string().min(1).optional().describe("one business number (within the key's)"),
});

// The agent admin API (/v1/admin/agents, admin keys).
export const AgentList = z.object({ agents: z.array(AgentView) });
export const AgentOne = z.object({ agent: AgentView });
export const AgentIssued = z.object({
  agent: AgentView,
  key: z.string().describe("the agent's key: shown this once, stored only as a hash"),
});

// Embedded Signup (POST /api/v1/channels/whatsapp/embedded-signup, admin keys).
const signupDigits = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{5,20}$/, `${what} must be 5 to 20 digits`);

/** What the Embedded Signup page posts after Facebook Login (its `code`, and the ids from its message event). */
export const EmbeddedSignupBody = z.strictObject({
  code: z.string().trim().min(1).max(4096),
  waba_id: signupDigits("waba_id"),
  phone_number_id: signupDigits("phone_number_id"),
  agent_flow_id: z.string().trim().min(1).max(200).optional(),
  organization_id: z.string().trim().min(1).max(200).optional(),
});

// The integrations API's answers (snake_case, secrets masked: shared/src/integrations/wire.ts).
export const IntegrationView = z.object({
  id: z.string(),
  organization_id: z.string().optional(),
  agent_flow_id: z.string().optional(),
  phone_number: z.string().optional(),
  phone_number_id: z.string(),
  waba_id: z.string().optional(),
  access_token: z.string().describe("masked: ****wxyz"),
  verify_token: z.string().describe("shown in full: it goes into Meta's dashboard"),
  app_secret: z.string().optional().describe("masked"),
  template_fallback: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export const IntegrationList = z.object({ count: z.number().int(), integrations: z.array(IntegrationView) });
