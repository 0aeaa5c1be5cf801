import type { InboundMessageData } from "../events/inbound.js";

const KB = 1024;
const MB = 1024 * KB;

/**
 * Meta's size limits per media type (docs/whatsapp-contract.md, Media): a download past its
 * type's limit is not what Meta sent, so it is cut off there rather than stored.
 */
export const MEDIA_LIMITS = {
  audio: 16 * MB,
  image: 5 * MB,
  video: 16 * MB,
  document: 100 * MB,
  /** 100 KB static, 500 KB animated. */
  sticker: 500 * KB,
} as const;
export const STATIC_STICKER_LIMIT = 100 * KB;

export type MediaType = keyof typeof MEDIA_LIMITS;
export const isMediaType = (type: string): type is MediaType => Object.hasOwn(MEDIA_LIMITS, type);

type WithMedia = Pick<InboundMessageData, "type" | "media" | "edit">;

/** The type of a message's media file (an edit's new content included), or undefined without one. */
export function mediaTypeOf(message: WithMedia): MediaType | undefined {
  if (!message.media?.id) return undefined;
  const type = message.type === "edit" ? message.edit?.type : message.type;
  return type && isMediaType(type) ? type : undefined;
}

/** The byte limit of a message's media, or undefined when the message carries no media file. */
export function mediaLimit(message: WithMedia): number | undefined {
  const type = mediaTypeOf(message);
  if (!type) return undefined;
  if (type === "sticker" && message.media?.animated === false) return STATIC_STICKER_LIMIT;
  return MEDIA_LIMITS[type];
}
