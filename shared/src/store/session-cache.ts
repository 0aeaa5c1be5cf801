import { z } from "zod";
import { ROUTE, type Route } from "../events/schemas.js";
import { InvalidStoreInput } from "./page.js";
import type { Conversation } from "./types.js";

/**
 * One line of the recent history the responder feeds the model. `agent` lines are the business's
 * side written by a person (an agent, or the WhatsApp Business app). An entry with `amends` is a
 * marker, not a line: message `id` was edited (`text` is the new text) or revoked; readers apply
 * markers wherever they sit, so their order against the message they amend does not matter.
 */
export interface SessionEntry {
  role: "user" | "assistant" | "agent";
  text: string;
  /** ISO time. */
  at: string;
  /** The message's wamid, when known. */
  id?: string;
  amends?: "edit" | "revoke";
}

/**
 * The hot per-conversation cache (docs/architecture.md "Data"): the conversation's stage and route and its
 * last N messages, kept past the 24-hour window (SESSION_TTL_SECONDS). A miss is normal: callers
 * fall back to the stores, which stay the source of truth.
 */
export interface SessionCache {
  getConversation(id: string): Promise<Conversation | undefined>;
  /** `ttlSeconds` defaults to the cache's TTL (config `store.sessionTtlSeconds`). */
  putConversation(conversation: Conversation, ttlSeconds?: number): Promise<void>;
  /** Appends the entries in order, keeps only the last `keep`, and renews the TTL. */
  appendMessages(conversationId: string, entries: readonly SessionEntry[], keep: number): Promise<void>;
  /** The last `n` entries, oldest first. */
  recent(conversationId: string, n: number): Promise<SessionEntry[]>;
  clear(conversationId: string): Promise<void>;
}

export const SessionEntrySchema = z.object({
  role: z.enum(["user", "assistant", "agent"]),
  text: z.string(),
  at: z.string(),
  id: z.string().optional(),
  amends: z.enum(["edit", "revoke"]).optional(),
});

const opt = z.string().optional();

/** What comes back from Redis is validated like any other boundary. */
export const ConversationSnapshot = z.object({
  id: z.string().min(1),
  tenant: z.string().min(1),
  user: z.string().min(1),
  waId: opt,
  userId: opt,
  profileName: opt,
  flowId: opt,
  stage: z.string().nullable(),
  route: z.custom<Route>((v) => ROUTE.safeParse(v).success, "route is bot, queue, human or agent:<id>"),
  agentId: opt,
  lastInboundAt: opt,
  pausedUntil: opt,
  pauseReason: opt,
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: opt,
  version: z.number().int().nonnegative(),
});

/**
 * How many session lines are kept per conversation: the prompt's history and every exchange since
 * the last summary. The responder and the router (which records the business app's lines, edits
 * and revokes) keep the same number, so neither trims the other's.
 */
export const sessionHistoryKeep = (r: { historyMessages: number; summaryEvery: number }): number =>
  Math.max(r.historyMessages, r.summaryEvery * 2 + 4);

export function readKeep(keep: number): number {
  if (!Number.isInteger(keep) || keep < 1)
    throw new InvalidStoreInput("keep must be a positive integer", { keep });
  return keep;
}

export function readCount(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new InvalidStoreInput("n must be a non-negative integer", { n });
  return n;
}

/** Redis expiries are whole seconds. */
export const wholeSeconds = (ttlSeconds: number): number => Math.max(1, Math.ceil(ttlSeconds));
