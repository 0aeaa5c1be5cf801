import type { MetaError, StatusValue } from "../events/inbound.js";
import type { Route } from "../events/schemas.js";

/** A page of results; pass `nextCursor` back as `cursor` for the next page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** One chat between a business number and a user (docs/architecture.md "Data"). `id` is `${tenant}:${user}`. */
export interface Conversation {
  id: string;
  /** Business phone_number_id. */
  tenant: string;
  /** wa_id when known, else the BSUID. */
  user: string;
  waId?: string;
  userId?: string;
  profileName?: string;
  flowId?: string;
  stage: string | null;
  route: Route;
  agentId?: string;
  /** ISO time of the user's last inbound message (or call): the 24-hour window runs from here. */
  lastInboundAt?: string;
  /** Inbound messages waiting for a human: counted while the queue or an agent holds the chat, zeroed when an agent reads or replies. */
  unread?: number;
  /** ISO time the chat left the bot, until the first agent reply (time to first agent reply). */
  awaitingAgentSince?: string;
  /**
   * With route `human`: until when the bot stays quiet (a person answered from the WhatsApp
   * Business app); absent for a pause without end (a group the flow does not let the bot answer).
   */
  pausedUntil?: string;
  /** Why the route is `human`, for people reading the conversation. */
  pauseReason?: string;
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  /** Incremented by every successful save; used for compare-and-set. */
  version: number;
}

export type ConversationDraft = Omit<Conversation, "version" | "createdAt" | "updatedAt"> &
  Partial<Pick<Conversation, "createdAt">>;

export type SaveResult =
  | { ok: true; conversation: Conversation }
  | { ok: false; current: Conversation | undefined };

export interface ConversationFilter {
  tenant?: string;
  /** Any of these tenants (an agent's); an empty list matches nothing. */
  tenants?: readonly string[];
  route?: string;
  stage?: string;
  agentId?: string;
}

export interface ConversationStore {
  get(id: string): Promise<Conversation | undefined>;
  /**
   * Compare-and-set: creates the conversation when `expectedVersion` is 0 and none exists, or
   * replaces it when the stored version equals `expectedVersion`. The saved copy has version + 1.
   */
  save(draft: ConversationDraft, expectedVersion: number): Promise<SaveResult>;
  /** Most recently updated first. */
  list(filter: ConversationFilter, page: PageRequest): Promise<Page<Conversation>>;
  /** How many conversations match (the agent queue's length). */
  count(filter: ConversationFilter): Promise<number>;
}

export interface StatusEntry {
  status: StatusValue;
  /** Meta's name for a status Flank does not know (`status` is then `unknown`). */
  statusName?: string;
  /** ISO time Meta reported. */
  timestamp: string;
  errors?: MetaError[];
  pricing?: Record<string, unknown>;
}

/** An earlier version of a message that was edited: what it said until `at`. */
export interface MessageEdit {
  /** The wamid of the edit that replaced this version. */
  id: string;
  body?: string;
  type: string;
  at: string;
}

export interface StoredMessage {
  /** wamid for inbound messages; the idempotency key for outbound ones. */
  id: string;
  wamid?: string;
  conversationId: string;
  tenant: string;
  direction: "inbound" | "outbound";
  from: string;
  to: string;
  type: string;
  /** What a human would read: text, caption, button title… */
  body?: string;
  /** A voice note's or audio's transcript (TRANSCRIBE_MODEL, docs/media.md). */
  transcript?: string;
  /** An inbound media file: `GET /v1/media/{id}` serves it once the media step stored it. */
  media?: { id: string; mimeType?: string; size?: number };
  /** ISO time the message was sent or received. */
  timestamp: string;
  /** Latest delivery status (outbound), newest by Meta's timestamp and status rank. */
  status?: StatusValue | "queued";
  statuses: StatusEntry[];
  raw: unknown;
  /** Not sent through Flank: written in the WhatsApp Business app, or imported from its history. */
  origin?: "business_app" | "history";
  /** Earlier versions, oldest first, when the message was edited; `body` is the latest. */
  edits?: MessageEdit[];
  /** ISO time the sender deleted the message for everyone; it stays stored, kept out of prompts. */
  deletedAt?: string;
}

/** A change to a stored message: an edit (new content) or a revoke (deleted for everyone). */
export type MessageAmendment =
  | { kind: "edit"; id: string; body?: string; type: string; at: string }
  | { kind: "revoke"; id: string; at: string };

export type StatusUpdate = "applied" | "stale" | "duplicate" | "unknown";

export interface MessageStore {
  /** Inserts once; returns false when a message with the same id already exists. */
  insert(message: StoredMessage): Promise<boolean>;
  get(id: string): Promise<StoredMessage | undefined>;
  getByWamid(wamid: string): Promise<StoredMessage | undefined>;
  /** Records the wamid Meta gave an outbound message. */
  setWamid(id: string, wamid: string): Promise<void>;
  /**
   * Appends a status to the message's history. `stale` when it ranks below the current status
   * (delivered after read), `duplicate` when the same status was recorded, `unknown` when no message has that wamid.
   */
  addStatus(wamid: string, entry: StatusEntry): Promise<StatusUpdate>;
  /**
   * Applies an edit (the current version moves to `edits`) or a revoke (`deletedAt`) to the
   * message with that wamid: `duplicate` when this amendment (by its id) was applied before.
   */
  amend(wamid: string, amendment: MessageAmendment): Promise<"applied" | "duplicate" | "unknown">;
  /** Oldest first. */
  listByConversation(conversationId: string, page: PageRequest): Promise<Page<StoredMessage>>;
  /** Messages to or from a user (wa_id/phone without +, or BSUID) across tenants; oldest first, the last `limit` (0 = all). */
  listByUser(user: string, limit: number): Promise<StoredMessage[]>;
}

/** A user's answer to one kind of message (e.g. `marketing_messages`: stop / resume). */
export interface UserPreference {
  /** `stop`, `resume`, `signup`… as Meta sent it. */
  value: string;
  /** When the user chose it (Meta's timestamp): an older webhook never overrides a newer one. */
  at: string;
  detail?: string;
}

/** Ids a user had before a number or BSUID change (docs/whatsapp-contract.md "Identity"). */
export interface PreviousIds {
  waId?: string;
  userId?: string;
  /** When the change was seen. */
  at: string;
}

export interface User {
  id: string;
  tenant: string;
  waId?: string;
  /** BSUID (docs/whatsapp-contract.md "Identity"). */
  userId?: string;
  profileName?: string;
  username?: string;
  /**
   * The conversation this person's messages belong to, whatever id they write from later (a new
   * phone number, a new BSUID, a BSUID alone): set when first seen, kept through id changes.
   */
  conversationId?: string;
  /** By category, e.g. `marketing_messages`. */
  preferences?: Record<string, UserPreference>;
  previousIds?: PreviousIds[];
  firstSeenAt: string;
  lastSeenAt: string;
  metadata: Record<string, unknown>;
}

export interface UserSighting {
  tenant: string;
  waId?: string;
  userId?: string;
  profileName?: string;
  username?: string;
  /** The conversation the sighting came from: becomes the user's when it has none yet. */
  conversationId?: string;
}

export type UserKey = { waId?: string; userId?: string };

export interface UserStore {
  /** Finds the user by wa_id or BSUID within the tenant, links whichever was new, and updates the profile. */
  upsert(seen: UserSighting): Promise<User>;
  get(id: string): Promise<User | undefined>;
  find(tenant: string, key: UserKey): Promise<User | undefined>;
  /**
   * Records a preference (creating the user when unseen); kept only when not older than the one
   * stored for that category, since webhooks arrive out of order.
   */
  setPreference(tenant: string, key: UserKey, category: string, preference: UserPreference): Promise<User>;
  /**
   * The user known by `from` now writes as `to` (a phone number or BSUID change): the new ids
   * replace the old ones (kept in `previousIds`), and a user already seen under the new ids is
   * merged in, so stage, window and memory carry on. Undefined when nobody is known by `from`.
   */
  changeIds(tenant: string, from: UserKey, to: UserKey): Promise<User | undefined>;
}

/** What Meta last said about one message template (template.update webhooks). */
export interface TemplateRecord {
  /** `${wabaId}:${name}:${language}`. */
  id: string;
  wabaId: string;
  templateId?: string;
  name: string;
  /** Normalized to the send form: `en_US` (webhooks write `en-US`). */
  language: string;
  /** APPROVED, PAUSED, DISABLED, REJECTED… */
  status?: string;
  statusReason?: string;
  statusAt?: string;
  /** MARKETING, UTILITY, AUTHENTICATION. */
  category?: string;
  categoryAt?: string;
  /** A recategorization Meta announced, and when it takes effect. */
  pendingCategory?: string;
  pendingCategoryAt?: string;
  /** GREEN, YELLOW, RED, UNKNOWN. */
  quality?: string;
  qualityAt?: string;
  componentsAt?: string;
  updatedAt: string;
  /** Incremented by every write; used for compare-and-set. */
  version: number;
}

/** What one template webhook says; `at` is Meta's time for it. */
export interface TemplateUpdate {
  wabaId: string;
  templateId?: string;
  name: string;
  language: string;
  at: string;
  status?: string;
  statusReason?: string;
  category?: string;
  pendingCategory?: { category: string; at?: string };
  quality?: string;
  components?: boolean;
}

export interface TemplateStore {
  /** Applies one update; each aspect (status, category, quality) only when not older than the stored one. */
  apply(update: TemplateUpdate): Promise<TemplateRecord>;
  /** By name and language (either form), within the WABA when given, else the latest of any WABA. */
  find(key: { wabaId?: string; name: string; language: string }): Promise<TemplateRecord | undefined>;
}

export interface Summary {
  /** The conversation id (one business number and one user). */
  conversationId: string;
  text: string;
  /** Messages covered so far. */
  messageCount: number;
  updatedAt: string;
}

export interface SummaryStore {
  get(conversationId: string): Promise<Summary | undefined>;
  put(summary: Summary): Promise<void>;
}

export interface Integration {
  id: string;
  organizationId?: string;
  /** The flow this number runs. */
  agentFlowId?: string;
  phoneNumber?: string;
  phoneNumberId: string;
  wabaId?: string;
  /** Encrypted at rest by the integrations service; stores keep what they are given. */
  accessToken: string;
  verifyToken: string;
  appSecret?: string;
  templateFallback?: { name: string; language: string; components?: Record<string, unknown>[] };
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export class UniqueViolation extends Error {
  constructor(readonly field: string) {
    super(`${field} is already in use`);
    this.name = "UniqueViolation";
  }
}

export interface IntegrationStore {
  /** Throws UniqueViolation for a taken phoneNumberId or verifyToken. */
  create(integration: Integration): Promise<Integration>;
  get(id: string): Promise<Integration | undefined>;
  getByPhoneNumberId(phoneNumberId: string): Promise<Integration | undefined>;
  getByVerifyToken(verifyToken: string): Promise<Integration | undefined>;
  list(): Promise<Integration[]>;
  /** Returns undefined when there is no such integration; throws UniqueViolation like create. */
  update(id: string, patch: Partial<Omit<Integration, "id" | "createdAt">>): Promise<Integration | undefined>;
  delete(id: string): Promise<boolean>;
}

/** A human agent who signs in to the console with their own key (docs/architecture.md "HTTP surface"). */
export interface Agent {
  /** As in the route `agent:<id>`. */
  id: string;
  name: string;
  /** Business numbers (phone_number_ids) the agent works on; `["*"]` is every one. */
  tenants: string[];
  enabled: boolean;
  /** SHA-256 (hex) of the agent's key: the key itself is shown once and never stored. */
  keyHash: string;
  /** The key's last characters, to tell keys apart in lists. */
  keyHint: string;
  createdAt: string;
  updatedAt: string;
}

export interface AgentStore {
  /** Throws UniqueViolation for a taken id or keyHash. */
  create(agent: Agent): Promise<Agent>;
  get(id: string): Promise<Agent | undefined>;
  getByKeyHash(keyHash: string): Promise<Agent | undefined>;
  /** Oldest first. */
  list(): Promise<Agent[]>;
  /** Undefined when there is no such agent; throws UniqueViolation for a taken keyHash. */
  update(id: string, patch: Partial<Omit<Agent, "id" | "createdAt">>): Promise<Agent | undefined>;
}

/** Keys remembered for a while: "have we done this already?" checks. */
export interface DedupStore {
  /** True when the key was not claimed before (and is now, for `ttlSeconds`). */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  backend: "memory" | "mongo";
  detail?: string;
}

export interface Stores {
  conversations: ConversationStore;
  messages: MessageStore;
  users: UserStore;
  summaries: SummaryStore;
  integrations: IntegrationStore;
  agents: AgentStore;
  templates: TemplateStore;
  dedup: DedupStore;
  /** Creates indexes; called once at start. */
  init(): Promise<void>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
