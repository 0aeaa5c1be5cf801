import { z } from "zod";
import { InboundErrorData, InboundMessageData, InboundStatusData } from "./inbound.js";
import { OutboundRequestData, OutboundResultData } from "./outbound.js";

export const ROUTE = z.string().regex(/^(bot|queue|agent:.+)$/, "route is bot, queue or agent:<id>");
export type Route = "bot" | "queue" | `agent:${string}`;

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
] as const;
export const ConversationUpdatedData = z.object({
  change: z.enum(CONVERSATION_CHANGES),
  stage: z.string().optional(),
  route: ROUTE.optional(),
  agentId: z.string().optional(),
  previous: z
    .object({ stage: z.string().optional(), route: ROUTE.optional(), agentId: z.string().optional() })
    .optional(),
  reason: z.string().optional(),
});
export type ConversationUpdatedData = z.infer<typeof ConversationUpdatedData>;

export const DlqData = z.object({
  /** The failed event as received (possibly invalid, hence unknown). */
  event: z.unknown(),
  topic: z.string(),
  group: z.string(),
  attempts: z.number().int().min(0),
  error: z.string(),
});
export type DlqData = z.infer<typeof DlqData>;

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
export const OutboundRequestEvent = envelope("outbound.request", OutboundRequestData);
export const OutboundResultEvent = envelope("outbound.result", OutboundResultData);
export const DlqEvent = envelope("dlq", DlqData);

export const FlankEvent = z.discriminatedUnion("type", [
  InboundMessageEvent,
  InboundStatusEvent,
  InboundErrorEvent,
  ConversationRoutedEvent,
  ConversationUpdatedEvent,
  OutboundRequestEvent,
  OutboundResultEvent,
  DlqEvent,
]);
export type FlankEvent = z.infer<typeof FlankEvent>;
export type EventOf<T extends FlankEvent["type"]> = Extract<FlankEvent, { type: T }>;
export type EventData<T extends FlankEvent["type"]> = EventOf<T>["data"];
