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

/** One chat between a business number and a user (ARCHITECTURE §4). `id` is `${tenant}:${user}`. */
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
  /** ISO time of the user's last inbound message: the 24-hour window runs from here. */
  lastInboundAt?: string;
  /** Inbound messages waiting for a human: counted while the queue or an agent holds the chat, zeroed when an agent reads or replies. */
  unread?: number;
  /** ISO time the chat left the bot, until the first agent reply (time to first agent reply). */
  awaitingAgentSince?: string;
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
  /** ISO time Meta reported. */
  timestamp: string;
  errors?: MetaError[];
  pricing?: Record<string, unknown>;
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
  /** ISO time the message was sent or received. */
  timestamp: string;
  /** Latest delivery status (outbound), newest by Meta's timestamp and status rank. */
  status?: StatusValue | "queued";
  statuses: StatusEntry[];
  raw: unknown;
}

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
  /** Oldest first. */
  listByConversation(conversationId: string, page: PageRequest): Promise<Page<StoredMessage>>;
  /** Messages to or from a user (wa_id/phone without +, or BSUID) across tenants; oldest first, the last `limit` (0 = all). */
  listByUser(user: string, limit: number): Promise<StoredMessage[]>;
}

export interface User {
  id: string;
  tenant: string;
  waId?: string;
  /** BSUID (contract §5). */
  userId?: string;
  profileName?: string;
  username?: string;
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
}

export interface UserStore {
  /** Finds the user by wa_id or BSUID within the tenant, links whichever was new, and updates the profile. */
  upsert(seen: UserSighting): Promise<User>;
  get(id: string): Promise<User | undefined>;
  find(tenant: string, key: { waId?: string; userId?: string }): Promise<User | undefined>;
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

/** A human agent who signs in to the console with their own key (ARCHITECTURE §7). */
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
  dedup: DedupStore;
  /** Creates indexes; called once at start. */
  init(): Promise<void>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}
