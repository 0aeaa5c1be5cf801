import type { InboundMessageData, InboundType } from "../events/inbound.js";
import { findContact, mapContext, mapErrors, mapReferral } from "./map-common.js";
import { bool, compact, idStr, isoFromUnix, type Json, num, obj, objs, str } from "./read.js";

/** What a message contributes besides its identity: the type's own fields (docs/whatsapp-contract.md "Inbound messages"). */
type Content = Partial<InboundMessageData> & { type: InboundType };

const MEDIA_TYPES = new Set(["image", "audio", "video", "document", "sticker"]);

function media(o: Json | undefined): InboundMessageData["media"] {
  const id = idStr(o?.id);
  if (!o || !id) return undefined;
  return compact({
    id,
    mimeType: str(o.mime_type),
    sha256: str(o.sha256),
    url: str(o.url),
    filename: str(o.filename),
    caption: str(o.caption),
    voice: bool(o.voice),
    animated: bool(o.animated),
  });
}

function location(o: Json | undefined): InboundMessageData["location"] {
  const latitude = num(o?.latitude);
  const longitude = num(o?.longitude);
  if (!o || latitude === undefined || longitude === undefined) return undefined;
  return compact({ latitude, longitude, name: str(o.name), address: str(o.address), url: str(o.url) });
}

/** `call_permission_reply`: the answer and how long the permission holds (docs/whatsapp-contract.md "Other fields"). */
function callPermission(reply: Json | undefined) {
  const response = str(reply?.response);
  if (!reply || !response) return undefined;
  return compact({
    response,
    expiresAt: isoFromUnix(reply.expiration_timestamp),
    isPermanent: bool(reply.is_permanent),
    source: str(reply.response_source),
  });
}

function interactive(o: Json | undefined): Pick<Content, "interactive" | "text"> {
  const kind = str(o?.type);
  if (!o || !kind) return {};
  const reply = obj(o[kind]);
  const id = str(reply?.id);
  const title = str(reply?.title);
  return {
    interactive: compact({
      kind,
      id,
      title,
      description: str(reply?.description),
      name: str(reply?.name),
      body: str(reply?.body),
      // Flows: a JSON *string* (docs/whatsapp-contract.md "Inbound messages"); kept as sent, parsing is the consumer's business.
      responseJson: str(reply?.response_json),
      callPermission: kind === "call_permission_reply" ? callPermission(reply) : undefined,
    }),
    text: title ?? str(reply?.body),
  };
}

/**
 * `edit`: the new content is mapped like any message and `edit` names the original; an edit of
 * an edit (not documented) is carried as unsupported content rather than recursed into.
 */
function edit(body: Json | undefined): Content {
  const inner = obj(body?.message);
  const innerType = str(inner?.type) ?? "unknown";
  const mapped: Content =
    inner && innerType !== "edit" && innerType !== "revoke"
      ? content(innerType, inner)
      : { type: "unsupported", unsupportedType: innerType };
  const original = str(body?.original_message_id);
  const { type: newType, ...rest } = mapped;
  return {
    ...rest,
    type: "edit",
    edit: original
      ? { originalMessageId: original, type: newType === "unsupported" ? innerType : newType }
      : undefined,
  };
}

function order(o: Json | undefined): InboundMessageData["order"] {
  if (!o) return undefined;
  const items = objs(o.product_items).flatMap((i) => {
    const productRetailerId = idStr(i.product_retailer_id);
    const quantity = num(i.quantity);
    const itemPrice = num(i.item_price);
    const currency = str(i.currency);
    if (!productRetailerId || quantity === undefined || itemPrice === undefined || !currency) return [];
    return [{ productRetailerId, quantity, itemPrice, currency }];
  });
  return compact({ catalogId: idStr(o.catalog_id), text: str(o.text), items });
}

export function content(type: string, m: Json): Content {
  const body = obj(m[type]);
  if (MEDIA_TYPES.has(type)) {
    return { type: type as InboundType, media: media(body), text: str(body?.caption) };
  }
  switch (type) {
    case "text":
      return { type, text: str(body?.body) };
    case "location":
      return { type, location: location(body) };
    case "contacts":
      return { type, contacts: objs(m.contacts) };
    case "interactive":
      return { type, ...interactive(body) };
    case "button":
      return {
        type,
        button: compact({ payload: str(body?.payload), text: str(body?.text) }),
        text: str(body?.text),
      };
    case "reaction": {
      // A missing or empty emoji is a removed reaction (docs/whatsapp-contract.md "Inbound messages").
      const emoji = str(body?.emoji);
      const messageId = str(body?.message_id);
      return { type, reaction: messageId ? compact({ messageId, emoji }) : undefined, text: emoji };
    }
    case "order":
      return { type, order: order(body), text: str(body?.text) };
    case "system":
      return {
        type,
        system: body
          ? compact({
              kind: str(body.type) ?? "unknown",
              body: str(body.body),
              waId: idStr(body.wa_id),
              userId: str(body.user_id),
              previousUserId: str(body.previous_user_id),
              previousParentUserId: str(body.previous_parent_user_id),
            })
          : undefined,
        text: str(body?.body),
      };
    case "edit":
      return edit(body);
    case "revoke": {
      const original = str(body?.original_message_id);
      return { type, revoke: original ? { originalMessageId: original } : undefined };
    }
    case "unsupported":
      return { type, unsupportedType: str(body?.type) };
    default:
      // A type Meta added after this code, or one Flank does not model: kept, never dropped.
      return { type: "unsupported", unsupportedType: type };
  }
}

export interface ChangeMeta {
  phoneNumberId: string;
  displayPhoneNumber?: string;
  wabaId?: string;
  contacts: Json[];
}

export type MappedMessage =
  | { ok: true; data: InboundMessageData; user: string }
  | { ok: false; reason: string };

/** Who a message is from, as far as the webhook says. */
export interface Party {
  from?: string;
  userId?: string;
  parentUserId?: string;
  profileName?: string;
  username?: string;
}

/** A message object (user message, echo or history entry) as InboundMessageData. */
export function messageData(
  m: Json,
  wamid: string,
  meta: ChangeMeta,
  receivedAt: string,
  party: Party,
): InboundMessageData {
  const type = str(m.type) ?? "unknown";
  const data: InboundMessageData = {
    wamid,
    phoneNumberId: meta.phoneNumberId,
    displayPhoneNumber: meta.displayPhoneNumber,
    wabaId: meta.wabaId,
    ...party,
    groupId: str(m.group_id),
    timestamp: isoFromUnix(m.timestamp) ?? receivedAt,
    ...content(type, m),
    errors: mapErrors(m.errors),
    context: mapContext(m.context),
    referral: mapReferral(m.referral),
    raw: m,
  };
  return compact(data);
}

/**
 * One `value.messages[]` entry as InboundMessageData, plus the user key of its conversation: the
 * group for a group message (the conversation is the group's), else the sender's wa_id or BSUID.
 */
export function mapMessage(m: Json, meta: ChangeMeta, receivedAt: string): MappedMessage {
  const wamid = str(m.id);
  if (!wamid) return { ok: false, reason: "message without id" };
  const from = idStr(m.from);
  const fromUserId = str(m.from_user_id);
  const contact = findContact(meta.contacts, from, fromUserId);
  const userId = fromUserId ?? str(contact?.user_id);
  const waId = from ?? str(contact?.wa_id);
  const sender = waId ?? userId;
  if (!sender) return { ok: false, reason: "message without from or from_user_id" };
  const profile = obj(contact?.profile);
  const data = messageData(m, wamid, meta, receivedAt, {
    from: waId,
    userId,
    parentUserId: str(m.from_parent_user_id) ?? str(contact?.parent_user_id),
    profileName: str(profile?.name),
    username: str(profile?.username),
  });
  return { ok: true, data, user: data.groupId ?? sender };
}
