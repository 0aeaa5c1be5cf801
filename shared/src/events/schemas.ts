import { z } from "zod";
import type { Conversation } from "../store/types.js";
import { InboundErrorData, InboundMessageData, InboundStatusData, InboundType } from "./inbound.js";
import { OutboundRequestData, OutboundResultData } from "./outbound.js";
import {
  AccountUpdateData,
  InboundCallData,
  InboundEchoData,
  InboundFieldData,
  InboundGroupData,
  InboundHandoverData,
  InboundHistoryData,
  InboundPreferenceData,
  InboundStateSyncData,
  TemplateUpdateData,
} from "./webhook-fields.js";

/**
 * Who answers a conversation: the bot, the agent queue, an agent, or `human`: a person outside
 * Flank (the business replying from the WhatsApp Business app, or a group the bot may not answer
 * automatically). The bot stays quiet unless the route is `bot`.
 */
export const ROUTE = z
  .string()
  .regex(/^(bot|queue|human|agent:.+)$/, "route is bot, queue, human or agent:<id>");
export type Route = "bot" | "queue" | "human" | `agent:${string}`;

export const ConversationRoutedData = z.object({
  message: InboundMessageData,
  stageBefore: z.string().nullable(),
  stageAfter: z.string(),
  route: ROUTE,
  reason: z.string(),
  flowId: z.string().optional(),
});
export type ConversationRoutedData = z.infer<typeof ConversationRoutedData>;

export const CONVERSATION_CHANGES = [
  "stage",
  "route",
  "handoff",
  "assignment",
  "released",
  "closed",
  /** The route became `human`: a person answers from outside Flank; the bot is paused. */
  "paused",
  /** Back to the bot after a pause. */
  "resumed",
] as const;
export const ConversationUpdatedData = z.object({
  change: z.enum(CONVERSATION_CHANGES),
  stage: z.string().optional(),
  route: ROUTE.optional(),
  agentId: z.string().optional(),
  /** With `paused`: until when (ISO), when the pause ends by itself. */
  pausedUntil: z.string().optional(),
  previous: z
    .object({ stage: z.string().optional(), route: ROUTE.optional(), agentId: z.string().optional() })
    .optional(),
  reason: z.string().optional(),
});
export type ConversationUpdatedData = z.infer<typeof ConversationUpdatedData>;

/** What the agent API asks of a conversation; the router applies it (router/src/conversation-ops.ts). */
export const CONVERSATION_COMMANDS = [
  "take",
  "release",
  "transfer",
  "read",
  "handoff",
  /** Give a queued conversation to the least loaded eligible agent (an agent came online). */
  "assign",
  /** An agent replied: unread goes to zero and the wait for a first reply ends. */
  "agent_replied",
] as const;
export type ConversationCommand = (typeof CONVERSATION_COMMANDS)[number];
export const ConversationCommandData = z.object({
  command: z.enum(CONVERSATION_COMMANDS),
  /** The agent acting (not `agentId`: a command is no event for the agent's own stream). */
  agent: z.string().optional(),
  /** transfer: the agent who gets the conversation. */
  to: z.string().optional(),
  reason: z.string().optional(),
});
export type ConversationCommandData = z.infer<typeof ConversationCommandData>;

export const ConversationCommandResultData = z.object({
  /** The id of the conversation.command event this answers. */
  commandId: z.string(),
  ok: z.boolean(),
  code: z.enum(["not_found", "conflict"]).optional(),
  message: z.string().optional(),
  changed: z.boolean().optional(),
  /** The conversation after the command (or as it stood, on a conflict). */
  conversation: z
    .custom<Conversation>((v) => typeof (v as { id?: unknown } | null)?.id === "string", "a conversation")
    .optional(),
  /** agent_replied: how long the user waited for a first agent reply, when this reply ended it. */
  waitedMs: z.number().optional(),
});
export type ConversationCommandResultData = z.infer<typeof ConversationCommandResultData>;

export const DlqData = z.object({
  /** The failed event as received (possibly invalid, hence unknown). */
  event: z.unknown(),
  topic: z.string(),
  group: z.string(),
  attempts: z.number().int().min(0),
  error: z.string(),
});
export type DlqData = z.infer<typeof DlqData>;

/** `media.stored`: where an inbound message's file is (the media store, by tenant and media id). */
export const MediaStoredData = z.object({
  wamid: z.string().min(1),
  phoneNumberId: z.string().min(1),
  /** Meta's media id: the key in the media store and the id of `GET /v1/media/{id}`. */
  mediaId: z.string().min(1),
  type: InboundType,
  mimeType: z.string(),
  size: z.number().int().min(0),
  sha256: z.string().optional(),
  transcript: z.string().optional(),
});
export type MediaStoredData = z.infer<typeof MediaStoredData>;

const ULID = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "id must be a ULID");

const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: ULID,
    type: z.literal(type),
    v: z.number().int().min(1),
    ts: z.iso.datetime({ offset: true }),
    tenant: z.string(),
    conversationId: z.string(),
    data,
  });

export const InboundMessageEvent = envelope("inbound.message", InboundMessageData);
export const InboundStatusEvent = envelope("inbound.status", InboundStatusData);
export const InboundErrorEvent = envelope("inbound.error", InboundErrorData);
export const ConversationRoutedEvent = envelope("conversation.routed", ConversationRoutedData);
export const ConversationUpdatedEvent = envelope("conversation.updated", ConversationUpdatedData);
export const ConversationCommandEvent = envelope("conversation.command", ConversationCommandData);
export const ConversationCommandResultEvent = envelope(
  "conversation.command_result",
  ConversationCommandResultData,
);
export const OutboundRequestEvent = envelope("outbound.request", OutboundRequestData);
export const OutboundResultEvent = envelope("outbound.result", OutboundResultData);
export const DlqEvent = envelope("dlq", DlqData);
export const InboundEchoEvent = envelope("inbound.echo", InboundEchoData);
export const InboundHistoryEvent = envelope("inbound.history", InboundHistoryData);
export const InboundPreferenceEvent = envelope("inbound.preference", InboundPreferenceData);
export const InboundCallEvent = envelope("inbound.call", InboundCallData);
export const InboundGroupEvent = envelope("inbound.group", InboundGroupData);
export const InboundStateSyncEvent = envelope("inbound.state_sync", InboundStateSyncData);
export const InboundHandoverEvent = envelope("inbound.handover", InboundHandoverData);
export const TemplateUpdateEvent = envelope("template.update", TemplateUpdateData);
export const AccountUpdateEvent = envelope("account.update", AccountUpdateData);
export const InboundFieldEvent = envelope("inbound.field", InboundFieldData);
export const MediaRequestedEvent = envelope("media.requested", InboundMessageData);
export const MediaStoredEvent = envelope("media.stored", MediaStoredData);
export const InboundUnderstoodEvent = envelope("inbound.understood", InboundMessageData);

export const FlankEvent = z.discriminatedUnion("type", [
  InboundMessageEvent,
  InboundStatusEvent,
  InboundErrorEvent,
  ConversationRoutedEvent,
  ConversationUpdatedEvent,
  ConversationCommandEvent,
  ConversationCommandResultEvent,
  OutboundRequestEvent,
  OutboundResultEvent,
  DlqEvent,
  InboundEchoEvent,
  InboundHistoryEvent,
  InboundPreferenceEvent,
  InboundCallEvent,
  InboundGroupEvent,
  InboundStateSyncEvent,
  InboundHandoverEvent,
  TemplateUpdateEvent,
  AccountUpdateEvent,
  InboundFieldEvent,
  MediaRequestedEvent,
  MediaStoredEvent,
  InboundUnderstoodEvent,
]);
export type FlankEvent = z.infer<typeof FlankEvent>;
export type EventOf<T extends FlankEvent["type"]> = Extract<FlankEvent, { type: T }>;
export type EventData<T extends FlankEvent["type"]> = EventOf<T>["data"];
