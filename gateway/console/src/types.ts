// The shapes of the gateway's agent API as the console reads them (see /openapi.json). Types only:
// those from @flank/shared are erased at compile time, so the browser never loads that package.

export interface Agent {
  id: string;
  name: string;
  tenants: string[];
}

export interface AgentStatus {
  agentId: string;
  name?: string;
  online: boolean;
  load: number;
}

/** A conversation as the API sends it (JSON of the store's record). */
export type Conversation = import("@flank/shared/store").Conversation;

/** The user's profile as the API sends it. */
export type UserProfile = import("@flank/shared/store").User;

export type Status = "queued" | "pending" | "sent" | "delivered" | "read" | "failed";

/**
 * A stored message as the API sends it; `source` is set by writers that know who sent the
 * message (echoes of the WhatsApp Business app…), else the console reads `raw.source`.
 */
export type StoredMessage = Omit<import("@flank/shared/store").StoredMessage, "status"> & {
  status?: Status;
  source?: string;
};

export interface OutboundMessage {
  type: string;
  body?: string;
  caption?: string;
  name?: string;
  emoji?: string;
  buttons?: { id: string; title: string }[];
  sections?: { rows: { id: string; title: string }[] }[];
}

/** A bus event as the agent stream sends it. */
export interface FlankEvent {
  id: string;
  type: string;
  ts: string;
  tenant: string;
  conversationId: string;
  data: Record<string, unknown>;
}
