import { z } from "zod";
import { MetaError } from "./inbound.js";

// Outbound message kinds and Meta's limits (docs/whatsapp-contract.md "Sending"). Validated here so a bad
// request fails at the API with a clear error instead of as a Graph API 100 later.
const Text = z.object({
  type: z.literal("text"),
  body: z.string().min(1).max(4096),
  previewUrl: z.boolean().optional(),
});

const mediaSource = {
  id: z.string().min(1).optional(),
  link: z.url().optional(),
};
const oneSource = (m: { id?: string; link?: string }) => Boolean(m.id) !== Boolean(m.link);
const withSource = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ...mediaSource, ...shape }).refine((m) => oneSource(m as { id?: string; link?: string }), {
    message: "exactly one of id or link is required",
  });

const Image = withSource({ type: z.literal("image"), caption: z.string().max(1024).optional() });
const Video = withSource({ type: z.literal("video"), caption: z.string().max(1024).optional() });
const Audio = withSource({ type: z.literal("audio"), voice: z.boolean().optional() });
const Sticker = withSource({ type: z.literal("sticker") });
const DocumentMsg = withSource({
  type: z.literal("document"),
  caption: z.string().max(1024).optional(),
  filename: z.string().optional(),
});

const Reaction = z.object({ type: z.literal("reaction"), messageId: z.string().min(1), emoji: z.string() });
const LocationMsg = z.object({
  type: z.literal("location"),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().optional(),
  address: z.string().optional(),
});
const ContactsMsg = z.object({
  type: z.literal("contacts"),
  contacts: z.array(z.record(z.string(), z.unknown())).min(1),
});

const Header = z.object({ type: z.literal("text"), text: z.string().min(1).max(60) });
const Footer = z.string().min(1).max(60);
/** Meta's limits on reply buttons and list sections (docs/whatsapp-contract.md "Sending"); flows reuse them for stage options. */
export const ReplyButtons = z
  .array(z.strictObject({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }))
  .min(1)
  .max(3);
export const ListSections = z
  .array(
    z.strictObject({
      title: z.string().max(24).optional(),
      rows: z
        .array(
          z.strictObject({
            id: z.string().min(1).max(200),
            title: z.string().min(1).max(24),
            description: z.string().max(72).optional(),
          }),
        )
        .min(1)
        .max(10),
    }),
  )
  .min(1)
  .max(10);

const Buttons = z.object({
  type: z.literal("buttons"),
  body: z.string().min(1).max(1024),
  header: Header.optional(),
  footer: Footer.optional(),
  buttons: ReplyButtons,
});
const List = z.object({
  type: z.literal("list"),
  body: z.string().min(1).max(4096),
  header: Header.optional(),
  footer: Footer.optional(),
  button: z.string().min(1).max(20),
  sections: ListSections,
});
const CtaUrl = z.object({
  type: z.literal("cta_url"),
  body: z.string().min(1).max(1024),
  header: Header.optional(),
  footer: Footer.optional(),
  displayText: z.string().min(1).max(20),
  url: z.url(),
});
/** Meta's template categories; lowercase on the wire, as Graph API answers write them upper case. */
export const TEMPLATE_CATEGORIES = ["marketing", "utility", "authentication"] as const;
const Template = z.object({
  type: z.literal("template"),
  name: z.string().min(1),
  language: z.string().min(2),
  /**
   * The template's category when the caller knows it. A marketing template is refused before any
   * Graph API call for a user who stopped marketing messages; when left out, the category Meta
   * reported for the template (template.update) is used.
   */
  category: z.enum(TEMPLATE_CATEGORIES).optional(),
  /** Graph API `components`, passed through as given. */
  components: z.array(z.record(z.string(), z.unknown())).optional(),
});
/** Mark an inbound message read, optionally showing the typing indicator. */
const Read = z.object({
  type: z.literal("read"),
  messageId: z.string().min(1),
  typing: z.boolean().optional(),
});

export const OutboundMessage = z.discriminatedUnion("type", [
  Text,
  Image,
  Video,
  Audio,
  Sticker,
  DocumentMsg,
  Reaction,
  LocationMsg,
  ContactsMsg,
  Buttons,
  List,
  CtaUrl,
  Template,
  Read,
]);
export type OutboundMessage = z.infer<typeof OutboundMessage>;
export type OutboundType = OutboundMessage["type"];

/** What a human would read of an outbound message, for the message history (pure). */
export function outboundText(message: OutboundMessage): string | undefined {
  switch (message.type) {
    case "text":
    case "buttons":
    case "list":
    case "cta_url":
      return message.body;
    case "image":
    case "video":
    case "document":
      return message.caption;
    case "reaction":
      return message.emoji;
    case "template":
      return `[template ${message.name}]`;
    default:
      return undefined;
  }
}

export const OUTBOUND_SOURCES = ["bot", "api", "agent", "system"] as const;

export const OutboundRequestData = z
  .object({
    idempotencyKey: z.string().min(1).max(200),
    /** wa_id or phone number (with or without +). */
    to: z.string().min(1).optional(),
    /** BSUID recipient (docs/whatsapp-contract.md "Identity"); `to` wins when both are given. */
    recipient: z.string().min(1).optional(),
    /** `group` sends to the group id in `to` (Groups API); individual by default. */
    recipientType: z.enum(["individual", "group"]).optional(),
    message: OutboundMessage,
    replyTo: z.string().optional(),
    /** The inbound wamids a bot reply answers (several when a burst is answered together). */
    answers: z.array(z.string()).optional(),
    source: z.enum(OUTBOUND_SOURCES),
    agentId: z.string().optional(),
    /** The agent's display name, for screens that show who replied (the playground, the console). */
    agentName: z.string().max(100).optional(),
    bizOpaqueCallbackData: z.string().max(512).optional(),
  })
  .refine((r) => r.to || r.recipient, { message: "to or recipient is required", path: ["to"] });
export type OutboundRequestData = z.infer<typeof OutboundRequestData>;

export const OutboundResultData = z.object({
  idempotencyKey: z.string().min(1),
  status: z.enum(["sent", "failed"]),
  wamid: z.string().optional(),
  to: z.string().optional(),
  error: MetaError.extend({ retryable: z.boolean().optional(), reason: z.string().optional() }).optional(),
  attempts: z.number().int().min(0),
  final: z.boolean(),
  /** Meta's response body for a success, for API callers that want it verbatim. */
  response: z.unknown().optional(),
});
export type OutboundResultData = z.infer<typeof OutboundResultData>;
