import { z } from "zod";

/** Inbound message types of the Cloud API (docs/whatsapp-contract.md "Inbound messages"). */
export const INBOUND_TYPES = [
  "text",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "location",
  "contacts",
  "interactive",
  "button",
  "reaction",
  "order",
  "system",
  /** A user edited an earlier message (2026, coexistence numbers): `edit` names it, the content is the new one. */
  "edit",
  /** A user deleted an earlier message for everyone. */
  "revoke",
  "unsupported",
] as const;
export const InboundType = z.enum(INBOUND_TYPES);
export type InboundType = z.infer<typeof InboundType>;

/**
 * Meta's error object. `code` is any finite number: Meta documents integers, but a value beyond
 * 2^53 (or a fraction) must still validate after the gateway has answered 200 (nothing Meta sends
 * may be dropped by validation); the exact text stays in the event's `raw`.
 */
export const MetaError = z.object({
  code: z.number(),
  title: z.string().optional(),
  message: z.string().optional(),
  details: z.string().optional(),
  href: z.string().optional(),
});
export type MetaError = z.infer<typeof MetaError>;

export const Media = z.object({
  id: z.string(),
  mimeType: z.string().optional(),
  sha256: z.string().optional(),
  url: z.string().optional(),
  filename: z.string().optional(),
  caption: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
  /** Set by the media step once the file is in the media store (`GET /v1/media/{id}`). */
  stored: z.object({ mimeType: z.string(), size: z.number().int().min(0) }).optional(),
});

export const Location = z.object({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

export const Context = z.object({
  from: z.string().optional(),
  id: z.string().optional(),
  forwarded: z.boolean().optional(),
  frequentlyForwarded: z.boolean().optional(),
  referredProduct: z.object({ catalogId: z.string(), productRetailerId: z.string() }).optional(),
});

export const Referral = z.object({
  sourceUrl: z.string().optional(),
  sourceId: z.string().optional(),
  sourceType: z.string().optional(),
  body: z.string().optional(),
  headline: z.string().optional(),
  mediaType: z.string().optional(),
  imageUrl: z.string().optional(),
  videoUrl: z.string().optional(),
  thumbnailUrl: z.string().optional(),
  ctwaClid: z.string().optional(),
  welcomeMessage: z.string().optional(),
});

export const InboundMessageData = z.object({
  wamid: z.string().min(1),
  phoneNumberId: z.string().min(1),
  displayPhoneNumber: z.string().optional(),
  wabaId: z.string().optional(),
  /** Sender wa_id (phone); empty or absent for username-only BSUID users (docs/whatsapp-contract.md "Identity"). */
  from: z.string().optional(),
  /** Business-scoped user id (BSUID). */
  userId: z.string().optional(),
  parentUserId: z.string().optional(),
  /** Set when the message came from a WhatsApp group (2026, docs/whatsapp-contract.md "Groups"). */
  groupId: z.string().optional(),
  profileName: z.string().optional(),
  username: z.string().optional(),
  /** ISO-8601, from Meta's unix-seconds string. */
  timestamp: z.string(),
  type: InboundType,
  /** text.body, a caption, a button/interactive title, a reaction emoji: what a human would read. */
  text: z.string().optional(),
  media: Media.optional(),
  /** A voice note's or audio's words, from TRANSCRIBE_MODEL (docs/media.md): what rules and the model read. */
  transcript: z.string().optional(),
  location: Location.optional(),
  contacts: z.array(z.record(z.string(), z.unknown())).optional(),
  interactive: z
    .object({
      kind: z.string(),
      id: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      name: z.string().optional(),
      body: z.string().optional(),
      responseJson: z.string().optional(),
      /** `call_permission_reply`: the user's answer to a call permission request and how long it holds. */
      callPermission: z
        .object({
          response: z.string(),
          /** ISO-8601, from `expiration_timestamp`. */
          expiresAt: z.string().optional(),
          isPermanent: z.boolean().optional(),
          source: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  button: z.object({ payload: z.string().optional(), text: z.string().optional() }).optional(),
  /** emoji undefined means the reaction was removed. */
  reaction: z.object({ messageId: z.string(), emoji: z.string().optional() }).optional(),
  order: z
    .object({
      catalogId: z.string().optional(),
      text: z.string().optional(),
      items: z.array(
        z.object({
          productRetailerId: z.string(),
          quantity: z.number(),
          itemPrice: z.number(),
          currency: z.string(),
        }),
      ),
    })
    .optional(),
  system: z
    .object({
      kind: z.string(),
      body: z.string().optional(),
      waId: z.string().optional(),
      userId: z.string().optional(),
      /** `user_changed_number` (2026): the user's BSUIDs before the change. */
      previousUserId: z.string().optional(),
      previousParentUserId: z.string().optional(),
    })
    .optional(),
  /** type `edit`: the message edited; `text`, `media`… hold the new content, of type `edit.type`. */
  edit: z.object({ originalMessageId: z.string(), type: z.string() }).optional(),
  /** type `revoke`: the message deleted for everyone. */
  revoke: z.object({ originalMessageId: z.string() }).optional(),
  unsupportedType: z.string().optional(),
  errors: z.array(MetaError).optional(),
  context: Context.optional(),
  referral: Referral.optional(),
  /** The message object exactly as Meta sent it. */
  raw: z.unknown(),
});
export type InboundMessageData = z.infer<typeof InboundMessageData>;

/**
 * Meta's message statuses. `unknown` stands for a status name Meta added after this code: the
 * event is still published, with Meta's name in `statusName` (nothing fails after the 200).
 */
export const STATUS_VALUES = ["sent", "delivered", "read", "played", "failed", "unknown"] as const;
export const StatusValue = z.enum(STATUS_VALUES);
export type StatusValue = z.infer<typeof StatusValue>;

export const InboundStatusData = z.object({
  wamid: z.string().min(1),
  phoneNumberId: z.string().min(1),
  status: StatusValue,
  /** Meta's status name when `status` is `unknown`. */
  statusName: z.string().optional(),
  recipientId: z.string().optional(),
  recipientUserId: z.string().optional(),
  /** `group` for a message sent to a group (then `recipientId` is the group id). */
  recipientType: z.string().optional(),
  /** The group of a group message's status; the conversation is the group's. */
  groupId: z.string().optional(),
  /** Which participant a group status is about. */
  recipientParticipantId: z.string().optional(),
  timestamp: z.string(),
  errors: z.array(MetaError).optional(),
  pricing: z
    .object({
      billable: z.boolean().optional(),
      pricingModel: z.string().optional(),
      type: z.string().optional(),
      category: z.string().optional(),
    })
    .optional(),
  conversation: z
    .object({
      id: z.string().optional(),
      expirationTimestamp: z.string().optional(),
      originType: z.string().optional(),
    })
    .optional(),
  bizOpaqueCallbackData: z.string().optional(),
  raw: z.unknown(),
});
export type InboundStatusData = z.infer<typeof InboundStatusData>;

/**
 * `value.errors[]`: system, app or account level errors (docs/whatsapp-contract.md "Webhook envelope"), and the errors a field
 * sends instead of its content (a declined `history` import). `errors` holds those with a
 * numeric code; `raw` holds them all.
 */
export const InboundErrorData = z.object({
  phoneNumberId: z.string().optional(),
  wabaId: z.string().optional(),
  /** The webhook field they came with, when not `messages`. */
  field: z.string().optional(),
  errors: z.array(MetaError),
  raw: z.unknown(),
});
export type InboundErrorData = z.infer<typeof InboundErrorData>;
