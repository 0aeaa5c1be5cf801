import type { InboundMessageData } from "@flank/shared/contract";
import { MEDIA_LIMITS, type MediaStore } from "@flank/shared/media";

/** An inbound message's image as a data URL for the model, or undefined (not an image, not stored). */
export type ImageInput = (tenant: string, message: InboundMessageData) => Promise<string | undefined>;

/**
 * VISION=true (docs/media.md): a stored image, read from the media store, as the `data:` URL of an
 * OpenAI-compatible `image_url` part. The model API takes the image inline, so it is read whole:
 * bounded by Meta's image limit (5 MB), past which only the caption goes.
 */
export function imagesFrom(store: MediaStore, maxBytes: number = MEDIA_LIMITS.image): ImageInput {
  return async (tenant, message) => {
    if (message.type !== "image" || !message.media?.id) return undefined;
    const file = await store.get(tenant, message.media.id);
    if (!file || file.meta.size > maxBytes) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of file.open()) chunks.push(chunk as Buffer);
    return `data:${file.meta.mimeType};base64,${Buffer.concat(chunks).toString("base64")}`;
  };
}
