import type { Conversation, OutboundMessage, Status, StoredMessage } from "./types.js";

// Pure helpers of the console's screens: what a bubble looks like, ticks, list labels.

/** Who a message is from, which styles its bubble. Unknown outbound sources show as "business". */
export type BubbleKind = "user" | "bot" | "agent" | "system" | "echo" | "api" | "business";

const KINDS = new Set<BubbleKind>(["bot", "agent", "system", "echo", "api"]);
const AUTHORS: Record<BubbleKind, string> = {
  user: "",
  bot: "Bot",
  agent: "Agent",
  system: "Flank",
  echo: "WhatsApp Business app",
  api: "API",
  business: "Business",
};

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/**
 * The bubble of a message: direction first (inbound is the user), then the outbound source,
 * read from the message's own `source` or the request it was sent from (`raw.source`).
 */
export function bubbleOf(m: Pick<StoredMessage, "direction" | "source" | "raw">): {
  kind: BubbleKind;
  author: string;
} {
  if (m.direction === "inbound" && m.source !== "echo") return { kind: "user", author: "" };
  const raw = record(m.raw);
  const source = str(m.source) ?? str(raw.source) ?? "business";
  const kind: BubbleKind = KINDS.has(source as BubbleKind) ? (source as BubbleKind) : "business";
  const author = kind === "agent" ? (str(raw.agentName) ?? str(raw.agentId) ?? AUTHORS.agent) : AUTHORS[kind];
  return { kind, author };
}

/** Delivery ticks: 🕓 queued, ✓ sent, ✓✓ delivered, blue ✓✓ read (by CSS), ! failed. */
export const TICKS: Record<Status, string> = {
  queued: "\u{1F553}",
  pending: "\u{1F553}",
  sent: "\u2713",
  delivered: "\u2713\u2713",
  read: "\u2713\u2713",
  failed: "!",
};
const RANK: Record<Status, number> = { queued: 0, pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** The status to show after `next` arrives: never backwards (a late "delivered" after "read"). */
export function laterStatus(current: Status | undefined, next: Status): Status {
  if (!current || next === "failed") return next;
  return RANK[next] > RANK[current] ? next : current;
}

/** What a human reads of an outbound message. */
export function describeOutbound(m: OutboundMessage): string {
  switch (m.type) {
    case "text":
    case "buttons":
    case "list":
    case "cta_url":
      return m.body ?? "";
    case "image":
    case "video":
    case "document":
      return `[${m.type}] ${m.caption ?? ""}`.trim();
    case "reaction":
      return m.emoji || "[reaction removed]";
    case "template":
      return `[template ${m.name ?? ""}]`;
    default:
      return `[${m.type}]`;
  }
}

/** The button titles of an interactive message (quick replies, list rows), shown under its text. */
export function choicesOf(m: OutboundMessage): string[] {
  if (m.type === "buttons") return (m.buttons ?? []).map((b) => b.title);
  if (m.type === "list") return (m.sections ?? []).flatMap((s) => s.rows.map((r) => r.title));
  return [];
}

/** What a human reads of an inbound message event (`inbound.message` data). */
export function describeInbound(d: Record<string, unknown>): string {
  const interactive = record(d.interactive);
  const button = record(d.button);
  return str(d.text) ?? str(interactive.title) ?? str(button.text) ?? `[${str(d.type) ?? "message"}]`;
}

/** A stored message's text. */
export function textOf(m: StoredMessage): string {
  if (m.body) return m.body;
  const request = record(m.raw);
  if (m.direction === "outbound" && request.message)
    return describeOutbound(request.message as OutboundMessage);
  return `[${m.type}]`;
}

/** The list's name for a conversation: the profile name, else the number. */
export const titleOf = (c: Pick<Conversation, "profileName" | "waId" | "user">): string =>
  c.profileName || (c.waId ? `+${c.waId}` : c.user);

/** Who holds it, in words, from the viewing agent's side. */
export function routeLabel(route: string, me: string): string {
  if (route === "bot") return "bot";
  if (route === "queue") return "waiting in the queue";
  const agent = route.startsWith("agent:") ? route.slice(6) : route;
  return agent === me ? "you" : agent;
}

/** What the viewing agent may do with a conversation on this route. */
export function actionsFor(
  route: string,
  me: string,
): { take: boolean; reply: boolean; release: boolean; transfer: boolean } {
  const mine = route === `agent:${me}`;
  return {
    take: route === "bot" || route === "queue",
    reply: mine,
    release: mine,
    transfer: mine || route === "queue",
  };
}

/** The list's unread badge: empty for none, "99+" past 99. */
export const unreadBadge = (n: number | undefined): string => (!n ? "" : n > 99 ? "99+" : String(n));

/** Client-side search over what the list shows: name, number, stage. */
export function matchesSearch(
  c: Pick<Conversation, "profileName" | "waId" | "user" | "stage">,
  query: string,
): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [c.profileName, c.waId, c.user, c.stage].some((v) => v?.toLowerCase().includes(q));
}

/** "14:05" today, else "3 Jun". */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  if (d.toDateString() === now.toDateString()) return d.toTimeString().slice(0, 5);
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}
