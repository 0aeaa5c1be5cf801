import type { OutboundMessage, OutboundRequestData } from "@flank/shared/contract";

/** A Graph API request body (docs/whatsapp-contract.md "Sending"). */
export type GraphBody = Record<string, unknown>;

/** Meta wants `+` and the country code; without `+` it prepends the business number's own code. */
export function toE164(to: string): string {
  const trimmed = to.trim();
  return trimmed.startsWith("+") ? trimmed : `+${trimmed.replace(/^00/, "")}`;
}

const media = (m: { id?: string; link?: string }) => (m.id ? { id: m.id } : { link: m.link });
const withCaption = <T extends object>(base: T, caption: string | undefined) =>
  caption === undefined ? base : { ...base, caption };

function interactive(message: OutboundMessage): Record<string, unknown> | undefined {
  if (message.type !== "buttons" && message.type !== "list" && message.type !== "cta_url") return undefined;
  const frame = {
    ...(message.header ? { header: { type: "text", text: message.header.text } } : {}),
    body: { text: message.body },
    ...(message.footer ? { footer: { text: message.footer } } : {}),
  };
  switch (message.type) {
    case "buttons":
      return {
        type: "button",
        ...frame,
        action: {
          buttons: message.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })),
        },
      };
    case "list":
      return {
        type: "list",
        ...frame,
        action: {
          button: message.button,
          sections: message.sections.map((s) => ({
            ...(s.title ? { title: s.title } : {}),
            rows: s.rows.map((r) => ({
              id: r.id,
              title: r.title,
              ...(r.description ? { description: r.description } : {}),
            })),
          })),
        },
      };
    case "cta_url":
      return {
        type: "cta_url",
        ...frame,
        action: { name: "cta_url", parameters: { display_text: message.displayText, url: message.url } },
      };
  }
}

/** The type-specific part: `{type, <type>: {...}}`. */
function payload(message: OutboundMessage): GraphBody {
  switch (message.type) {
    case "text":
      return { type: "text", text: { preview_url: message.previewUrl ?? false, body: message.body } };
    case "image":
    case "video":
      return { type: message.type, [message.type]: withCaption(media(message), message.caption) };
    case "audio":
      return { type: "audio", audio: { ...media(message), ...(message.voice ? { voice: true } : {}) } };
    case "sticker":
      return { type: "sticker", sticker: media(message) };
    case "document":
      return {
        type: "document",
        document: {
          ...withCaption(media(message), message.caption),
          ...(message.filename ? { filename: message.filename } : {}),
        },
      };
    case "reaction":
      return { type: "reaction", reaction: { message_id: message.messageId, emoji: message.emoji } };
    case "location":
      return {
        type: "location",
        location: {
          latitude: String(message.latitude),
          longitude: String(message.longitude),
          ...(message.name ? { name: message.name } : {}),
          ...(message.address ? { address: message.address } : {}),
        },
      };
    case "contacts":
      return { type: "contacts", contacts: message.contacts };
    case "template":
      return {
        type: "template",
        template: {
          name: message.name,
          language: { code: message.language },
          ...(message.components ? { components: message.components } : {}),
        },
      };
    case "buttons":
    case "list":
    case "cta_url":
      return { type: "interactive", interactive: interactive(message) };
    case "read":
      throw new Error("read receipts have no message payload");
  }
}

/**
 * The Graph API body for an outbound request. Read receipts (with the typing indicator) are a
 * different body on the same endpoint; reactions cannot quote, so `replyTo` is dropped for them.
 * A group send names the group id in `to` with `recipient_type: "group"` (Groups API), as is.
 */
export function toGraphBody(request: OutboundRequestData): GraphBody {
  const { message } = request;
  if (message.type === "read") {
    return {
      messaging_product: "whatsapp",
      status: "read",
      message_id: message.messageId,
      ...(message.typing ? { typing_indicator: { type: "text" } } : {}),
    };
  }
  const group = request.recipientType === "group";
  const address = request.to
    ? { to: group ? request.to : toE164(request.to) }
    : { recipient: request.recipient };
  const quote =
    request.replyTo && message.type !== "reaction" ? { context: { message_id: request.replyTo } } : {};
  return {
    messaging_product: "whatsapp",
    recipient_type: group ? "group" : "individual",
    ...address,
    ...quote,
    ...(request.bizOpaqueCallbackData ? { biz_opaque_callback_data: request.bizOpaqueCallbackData } : {}),
    ...payload(message),
  };
}
