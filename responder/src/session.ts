import type { ChatMessage, Turn } from "./prompt.js";

const ms = (iso: string) => Date.parse(iso);

/**
 * The turns of the active session: those after the last silence longer than `idleMs`. Empty when
 * the user has been away longer than that (the old session expired; its summary carries on).
 */
export function currentSession(turns: readonly Turn[], now: number, idleMs: number): Turn[] {
  const last = turns[turns.length - 1];
  if (!last || now - ms(last.at) > idleMs) return [];
  let start = turns.length - 1;
  while (start > 0 && ms((turns[start] as Turn).at) - ms((turns[start - 1] as Turn).at) <= idleMs) start--;
  return turns.slice(start);
}

/** True when the user's last turn is older than the idle timeout: time to summarize that session. */
export function sessionExpired(turns: readonly Turn[], now: number, idleMs: number): boolean {
  const last = turns[turns.length - 1];
  return last !== undefined && now - ms(last.at) > idleMs;
}

/** A turn as the summary schedule counts it: whose it was and when (ms), without its text. */
export interface TurnMark {
  user: boolean;
  at: number;
}

export const markOf = (t: Turn): TurnMark => ({ user: t.role === "user", at: ms(t.at) });

/** User turns after the summary's `updatedAt` (all without one): the exchanges it does not cover. */
export function uncoveredExchanges(marks: readonly TurnMark[], coveredUntil: string | undefined): number {
  const since = coveredUntil ? ms(coveredUntil) : Number.NEGATIVE_INFINITY;
  let n = 0;
  for (const m of marks) if (m.user && m.at > since) n++;
  return n;
}

/** Turns not yet folded into the summary (the summary's `updatedAt` marks how far it covers). */
export function uncovered(turns: readonly Turn[], coveredUntil: string | undefined): Turn[] {
  if (!coveredUntil) return [...turns];
  const since = ms(coveredUntil);
  return turns.filter((t) => ms(t.at) > since);
}

const firstSentence = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim();
  const match = /^.*?[.!?](\s|$)/.exec(flat);
  return (match ? match[0] : flat).trim().slice(0, 200);
};

/**
 * Offline memory: the first sentence of each thing the user said, appended to the previous
 * summary and kept to the newest `maxChars`.
 */
export function extractiveSummary(
  previous: string | undefined,
  turns: readonly Turn[],
  maxChars = 1000,
): string {
  const said = turns
    .filter((t) => t.role === "user")
    .map((t) => firstSentence(t.text))
    .filter(Boolean);
  const text = [previous?.trim(), said.length > 0 ? `The user said: ${said.join(" | ")}` : undefined]
    .filter((p): p is string => Boolean(p))
    .join("\n");
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars + 1)}`;
}

/** The model's instruction to fold new turns into the running summary. */
export function summaryPrompt(previous: string | undefined, turns: readonly Turn[]): ChatMessage[] {
  const transcript = turns.map((t) => `${t.role === "user" ? "User" : "Assistant"}: ${t.text}`).join("\n");
  return [
    {
      role: "system",
      content:
        "You keep long-term memory of a WhatsApp conversation. Merge the previous summary and the new " +
        "messages into one short summary (at most 120 words): who the user is, what they want, " +
        "decisions, facts they gave, and open questions. Write plain sentences, no lists.",
    },
    {
      role: "user",
      content: `Previous summary: ${previous?.trim() || "(none)"}\n\nNew messages:\n${transcript}`,
    },
  ];
}
