import type { InboundMessageData, MetaError } from "../events/inbound.js";
import { bool, compact, compactOrUndefined, type Json, num, obj, objs, str } from "./read.js";

/**
 * Meta error objects (`errors[]` on values, messages and statuses). Any finite code is kept, even
 * one past 2^53 (it validates as a number; the exact digits stay in `raw`); entries without a
 * numeric code are left to `raw`, which always holds Meta's objects.
 */
export function mapErrors(v: unknown): MetaError[] | undefined {
  const errors = objs(v).flatMap((e): MetaError[] => {
    const code = num(e.code);
    if (code === undefined) return [];
    return [
      compact({
        code,
        title: str(e.title),
        message: str(e.message),
        details: str(obj(e.error_data)?.details),
        href: str(e.href),
      }),
    ];
  });
  return errors.length > 0 ? errors : undefined;
}

/** `context`: a reply or button tap, a forward marker, or a product enquiry (docs/whatsapp-contract.md "Inbound messages"). */
export function mapContext(v: unknown): InboundMessageData["context"] {
  const c = obj(v);
  if (!c) return undefined;
  const product = obj(c.referred_product);
  const catalogId = str(product?.catalog_id);
  const productRetailerId = str(product?.product_retailer_id);
  return compactOrUndefined({
    from: str(c.from),
    id: str(c.id),
    forwarded: bool(c.forwarded),
    frequentlyForwarded: bool(c.frequently_forwarded),
    referredProduct: catalogId && productRetailerId ? { catalogId, productRetailerId } : undefined,
  });
}

/** `referral`: a Click-to-WhatsApp ad the user came from. */
export function mapReferral(v: unknown): InboundMessageData["referral"] {
  const r = obj(v);
  if (!r) return undefined;
  return compactOrUndefined({
    sourceUrl: str(r.source_url),
    sourceId: str(r.source_id),
    sourceType: str(r.source_type),
    body: str(r.body),
    headline: str(r.headline),
    mediaType: str(r.media_type),
    imageUrl: str(r.image_url),
    videoUrl: str(r.video_url),
    thumbnailUrl: str(r.thumbnail_url),
    ctwaClid: str(r.ctwa_clid),
    welcomeMessage: str(obj(r.welcome_message)?.text),
  });
}

/** The `value.contacts[]` entry of a user, by wa_id or BSUID; never by position (docs/whatsapp-contract.md "Webhook envelope"). */
export function findContact(contacts: Json[], waId: string | undefined, userId: string | undefined) {
  return contacts.find(
    (c) =>
      (waId !== undefined && str(c.wa_id) === waId) || (userId !== undefined && str(c.user_id) === userId),
  );
}
