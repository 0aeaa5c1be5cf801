import { createHash, randomBytes } from "node:crypto";

/**
 * Meta's webhook payloads, built the way the Cloud API sends them (docs/whatsapp-contract.md): every
 * id and timestamp a string, one entry per WABA, one change with `field: "messages"`. Pure.
 */

/** A message id in Meta's form: `wamid.` + base64 of an opaque blob. */
export const newWamid = (): string => `wamid.${randomBytes(24).toString("base64url")}`;

/** Unix seconds as a string, as Meta sends every timestamp. */
export const unixSeconds = (at: Date): string => String(Math.floor(at.getTime() / 1000));

/** A stable business-scoped user id (BSUID, docs/whatsapp-contract.md "Identity") for a phone number: `US.` + 20 digits. */
export function bsuidOf(waId: string): string {
  const digest = createHash("sha256").update(`bsuid:${waId}`).digest();
  return `US.${digest.readBigUInt64BE(0).toString().padStart(20, "0").slice(0, 20)}`;
}

export interface BusinessNumber {
  phoneNumberId: string;
  /** Defaults to a made-up display number. */
  displayPhoneNumber?: string;
  /** WABA id, the entry id. */
  wabaId?: string;
}

export const DEFAULT_DISPLAY_NUMBER = "15550783881";
export const DEFAULT_WABA_ID = "102290129340398";

/** The envelope around one `value` (docs/whatsapp-contract.md "Webhook envelope"); `field` is `messages` unless given. */
export function webhookEnvelope(biz: BusinessNumber, value: Record<string, unknown>, field = "messages") {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: biz.wabaId ?? DEFAULT_WABA_ID,
        changes: [
          {
            field,
            value: {
              messaging_product: "whatsapp",
              metadata: {
                display_phone_number: biz.displayPhoneNumber ?? DEFAULT_DISPLAY_NUMBER,
                phone_number_id: biz.phoneNumberId,
              },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export interface InboundFrom extends BusinessNumber {
  /** The user's wa_id (digits, no +). */
  from: string;
  name?: string;
  wamid?: string;
  at?: Date;
  /** Quote or button tap: the wamid of the business message it answers. */
  replyTo?: string;
}

export interface InboundText extends InboundFrom {
  text: string;
}

type Envelope = ReturnType<typeof webhookEnvelope>;

/** A user's message webhook: `contacts[]` with the profile, one message of the given type. */
function inboundWebhook(
  m: InboundFrom,
  typed: Record<string, unknown>,
): { payload: Envelope; wamid: string } {
  const wamid = m.wamid ?? newWamid();
  const message: Record<string, unknown> = {
    from: m.from,
    id: wamid,
    timestamp: unixSeconds(m.at ?? new Date()),
    ...typed,
  };
  if (m.replyTo) message.context = { from: m.displayPhoneNumber ?? DEFAULT_DISPLAY_NUMBER, id: m.replyTo };
  const payload = webhookEnvelope(m, {
    contacts: [{ profile: { name: m.name ?? m.from }, wa_id: m.from }],
    messages: [message],
  });
  return { payload, wamid };
}

/** A user's text message (docs/whatsapp-contract.md "Inbound messages", `text`). */
export const inboundTextWebhook = (m: InboundText) =>
  inboundWebhook(m, { type: "text", text: { body: m.text } });

/** A tap on a reply button (docs/whatsapp-contract.md "Inbound messages", `interactive`); `replyTo` is the message with the button. */
export const inboundButtonReplyWebhook = (m: InboundFrom & { reply: { id: string; title: string } }) =>
  inboundWebhook(m, { type: "interactive", interactive: { type: "button_reply", button_reply: m.reply } });

export interface InboundMedia extends InboundFrom {
  type: "image" | "audio" | "video" | "document" | "sticker";
  /** The media id `GET /{media-id}` answers for (the simulator's `addMedia`). */
  mediaId: string;
  mimeType: string;
  sha256?: string;
  caption?: string;
  filename?: string;
  /** An audio message recorded as a voice note. */
  voice?: boolean;
}

/** A user's image, voice note, audio, video, document or sticker (docs/whatsapp-contract.md "Inbound messages"). */
export const inboundMediaWebhook = (m: InboundMedia) =>
  inboundWebhook(m, {
    type: m.type,
    [m.type]: {
      id: m.mediaId,
      mime_type: m.mimeType,
      ...(m.sha256 ? { sha256: m.sha256 } : {}),
      ...(m.caption && m.type !== "audio" && m.type !== "sticker" ? { caption: m.caption } : {}),
      ...(m.filename && m.type === "document" ? { filename: m.filename } : {}),
      ...(m.type === "audio" ? { voice: m.voice ?? false } : {}),
    },
  });

export type SimStatus = "sent" | "delivered" | "read" | "failed";

export interface SimStatusUpdate extends BusinessNumber {
  wamid: string;
  status: SimStatus;
  /** The recipient's wa_id; absent when the message went to a BSUID only. */
  recipientId?: string;
  /** The recipient's BSUID. */
  recipientUserId?: string;
  at?: Date;
  bizOpaqueCallbackData?: string;
  /** For `failed`: Meta's error code (docs/whatsapp-contract.md "Error codes"). */
  error?: { code: number; title: string; details: string };
}

/**
 * One status webhook (docs/whatsapp-contract.md "Statuses"): `contacts[]` and `recipient_user_id` on sent, delivered and
 * read (never on failed), `pricing` on delivered only, `errors[]` on failed. No `conversation`
 * object: v24+ omits it outside free entry point windows.
 */
export function statusWebhook(s: SimStatusUpdate) {
  const ok = s.status !== "failed";
  const userId = s.recipientUserId ?? (s.recipientId ? bsuidOf(s.recipientId) : undefined);
  const status: Record<string, unknown> = {
    id: s.wamid,
    status: s.status,
    timestamp: unixSeconds(s.at ?? new Date()),
  };
  if (s.recipientId) status.recipient_id = s.recipientId;
  if (ok && userId) status.recipient_user_id = userId;
  if (s.bizOpaqueCallbackData) status.biz_opaque_callback_data = s.bizOpaqueCallbackData;
  if (s.status === "delivered") {
    status.pricing = {
      billable: false,
      pricing_model: "PMP",
      type: "free_customer_service",
      category: "service",
    };
  }
  if (!ok && s.error) {
    const { code, title, details } = s.error;
    status.errors = [
      {
        code,
        title,
        message: title,
        error_data: { details },
        href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
      },
    ];
  }
  const contacts =
    ok && (s.recipientId || userId)
      ? [{ ...(s.recipientId ? { wa_id: s.recipientId } : {}), user_id: userId }]
      : [];
  return webhookEnvelope(s, { ...(contacts.length > 0 ? { contacts } : {}), statuses: [status] });
}
