import type { InboundMessageData } from "@flank/shared/contract";
import { BoundedMap } from "@flank/shared/util";

/** Lowercase, accents folded ("Atenção" → "atencao"), punctuation and emoji turned into spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** A message's words as `hasKeyword` reads them: normalized, between spaces. Once per message. */
export const wordsOf = (text: string): string => ` ${normalizeText(text)} `;

/**
 * Flows' keywords normalized and padded, each once: a message is tested against every handoff and
 * transition keyword, and normalizing each again for each message was about 5 % of what the
 * router allocated.
 */
const paddedKeywords = new BoundedMap<string, string>(10_000);

/** True when `keyword` (one word or a phrase) occurs in a message's `words` (`wordsOf`) as whole words. */
export function hasKeyword(words: string, keyword: string): boolean {
  let padded = paddedKeywords.get(keyword);
  if (padded === undefined) {
    const k = normalizeText(keyword);
    padded = k.length > 0 ? ` ${k} ` : "";
    paddedKeywords.set(keyword, padded);
  }
  return padded !== "" && words.includes(padded);
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
