import type { Stage, StageOptions } from "@flank/shared/flows";

/** One message of the conversation as the bot remembers it. */
export interface Turn {
  role: "user" | "assistant";
  text: string;
  /** ISO time. */
  at: string;
  /** The message's wamid, when it has one: edits and revokes find it by this. */
  id?: string;
}

/** OpenAI-compatible content parts: a user message with an image (VISION, docs/media.md). */
export type ContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  /** Text, or (new user messages with an image only) text and image parts. */
  content: string | ContentPart[];
}

/** The words of a message, for the token estimate (an image is counted by its text only). */
const textOf = (m: ChatMessage): string =>
  typeof m.content === "string"
    ? m.content
    : m.content.map((p) => (p.type === "text" ? p.text : "")).join(" ");

export interface UserProfile {
  name?: string;
  username?: string;
  /** Facts the business stored about the user (metadata). */
  facts?: Record<string, unknown>;
}

export interface PromptInput {
  flowPrompt?: string;
  stage: Pick<Stage, "goal" | "options">;
  /** Long-term memory from earlier sessions. */
  summary?: string;
  profile?: UserProfile;
  /** The session's earlier turns, oldest first, not including the new messages. */
  history: readonly Turn[];
  /** The new messages, oldest first: one, or a burst answered together. */
  messages: readonly string[];
  /** Images (data URLs) parallel to `messages`, when VISION is on: sent as image parts with the text. */
  images?: readonly (string | undefined)[];
  /** At most this many history turns. */
  maxHistory: number;
  /** Token budget for the whole prompt; history is trimmed oldest first to fit. */
  tokenBudget: number;
}

/** A rough token count (about 4 characters per token for English), plus a little per message. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4) + 4;

function describeOptions(options: StageOptions): string {
  const titles =
    options.type === "buttons"
      ? options.buttons.map((b) => b.title)
      : options.sections.flatMap((s) => s.rows.map((r) => r.title));
  return `Your reply is shown with these ${options.type === "buttons" ? "buttons" : "list options"}: ${titles.join(", ")}. Do not repeat them as a list; keep the reply short.`;
}

function describeProfile(profile: UserProfile): string | undefined {
  const parts = [
    profile.name ? `name: ${profile.name}` : undefined,
    profile.username ? `username: ${profile.username}` : undefined,
    ...Object.entries(profile.facts ?? {})
      .filter(([, v]) => v !== undefined && v !== null && typeof v !== "object")
      .map(([k, v]) => `${k}: ${String(v)}`),
  ].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? `About the user: ${parts.join("; ")}.` : undefined;
}

export function systemPrompt(
  input: Pick<PromptInput, "flowPrompt" | "stage" | "summary" | "profile">,
): string {
  return [
    input.flowPrompt,
    `Current goal: ${input.stage.goal}`,
    input.stage.options ? describeOptions(input.stage.options) : undefined,
    input.profile ? describeProfile(input.profile) : undefined,
    input.summary ? `Summary of earlier conversations with this user: ${input.summary}` : undefined,
  ]
    .filter((p): p is string => Boolean(p?.trim()))
    .join("\n\n");
}

/**
 * The chat messages for one reply: system prompt (flow, stage, profile, summary), then the latest
 * history that fits the budget (oldest dropped first), then the new messages, never dropped.
 */
export function buildPrompt(input: PromptInput): ChatMessage[] {
  const system: ChatMessage = { role: "system", content: systemPrompt(input) };
  const last: ChatMessage[] = input.messages.map((text, i) => {
    const image = input.images?.[i];
    return image
      ? {
          role: "user",
          content: [
            { type: "text", text },
            { type: "image_url", image_url: { url: image } },
          ],
        }
      : { role: "user", content: text };
  });
  let room = input.tokenBudget - estimateTokens(textOf(system));
  for (const m of last) room -= estimateTokens(textOf(m));
  const kept: ChatMessage[] = [];
  const candidates = input.maxHistory > 0 ? input.history.slice(-input.maxHistory) : [];
  for (let i = candidates.length - 1; i >= 0; i--) {
    const turn = candidates[i] as Turn;
    const cost = estimateTokens(turn.text);
    if (cost > room) break;
    room -= cost;
    kept.unshift({ role: turn.role, content: turn.text });
  }
  return [system, ...kept, ...last];
}
