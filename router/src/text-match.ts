import type { InboundMessageData } from "@flank/shared/contract";

/** Lowercase, accents folded ("Atenção" → "atencao"), punctuation and emoji turned into spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** True when `keyword` (one word or a phrase) occurs in `text` as whole words. */
export function hasKeyword(normalizedText: string, keyword: string): boolean {
  const k = normalizeText(keyword);
  return k.length > 0 && ` ${normalizedText} `.includes(` ${k} `);
}

/** Message types whose `text` is something the user typed or picked (a caption, a button title). */
const TEXT_TYPES = new Set<InboundMessageData["type"]>([
  "text",
  "image",
  "video",
  "document",
  "interactive",
  "button",
]);

/** The words the rules read, or undefined for inputs without any (a sticker, a reaction, a location). */
export function messageText(message: InboundMessageData): string | undefined {
  // A voice note's transcript (TRANSCRIBE_MODEL, docs/media.md) is what the user said.
  if (message.transcript?.trim()) return message.transcript;
  if (!TEXT_TYPES.has(message.type)) return undefined;
  const text = message.text ?? message.interactive?.title ?? message.button?.text;
  return text?.trim() ? text : undefined;
}

/** Ids a tap carries: an interactive button/list reply id, or a template quick-reply payload. */
export function replyIdsOf(message: InboundMessageData): string[] {
  const ids: string[] = [];
  if (message.type === "interactive" && message.interactive?.id) ids.push(message.interactive.id);
  if (message.type === "button" && message.button?.payload) ids.push(message.button.payload);
  return ids;
}
