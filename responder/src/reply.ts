import type { InboundMessageData, OutboundMessage } from "@flank/shared/contract";
import type { StageOptions } from "@flank/shared/flows";
import type { Turn } from "./prompt.js";

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The outbound message for a reply: plain text, or the stage's options as buttons or a list. */
export function replyMessage(text: string, options: StageOptions | undefined): OutboundMessage {
  const body = text.trim() || options?.body || "…";
  if (options?.type === "buttons") {
    return { type: "buttons", body: clip(body, 1024), buttons: options.buttons.map((b) => ({ ...b })) };
  }
  if (options?.type === "list") {
    return {
      type: "list",
      body: clip(body, 4096),
      button: options.button,
      sections: options.sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r })) })),
    };
  }
  return { type: "text", body: clip(body, 4096) };
}

/** Messages that are not something the user said to the bot: never answered. */
const NOT_ANSWERED = new Set(["reaction", "system", "edit", "revoke"]);

/** What the user said, as text for the model; undefined for messages the bot does not answer. */
export function inboundText(message: InboundMessageData): string | undefined {
  if (NOT_ANSWERED.has(message.type)) return undefined;
  // The answer to a call permission request is for the business, not a question for the bot.
  if (message.interactive?.kind === "call_permission_reply") return undefined;
  // A voice note's transcript (TRANSCRIBE_MODEL, docs/media.md), with its caption if it had one.
  if (message.transcript?.trim()) {
    const said = `[voice note] ${message.transcript.trim()}`;
    return message.text?.trim() ? `${message.text.trim()}\n${said}` : said;
  }
  if (message.text?.trim()) return message.text.trim();
  if (message.interactive?.title) return message.interactive.title;
  if (message.button?.text) return message.button.text;
  if (message.location) {
    const { latitude, longitude, name } = message.location;
    return `[location ${latitude},${longitude}${name ? ` ${name}` : ""}]`;
  }
  return `[${message.type}]`;
}

/** Offline mode: the stage's scripted replies in turn, so the same history always gets the same reply. */
export function scriptedReply(replies: readonly string[], history: readonly Turn[]): string {
  const answered = history.filter((t) => t.role === "assistant").length;
  return replies[answered % Math.max(1, replies.length)] ?? "";
}
