// The shapes of the gateway's agent API as the console reads them (see /openapi.json).

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

export interface Conversation {
  id: string;
  tenant: string;
  user: string;
  waId?: string;
  userId?: string;
  profileName?: string;
  flowId?: string;
  stage: string | null;
  route: string;
  agentId?: string;
  lastInboundAt?: string;
  unread?: number;
  updatedAt: string;
}

export interface UserProfile {
  waId?: string;
  userId?: string;
  profileName?: string;
  username?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  metadata: Record<string, unknown>;
}

export type Status = "queued" | "pending" | "sent" | "delivered" | "read" | "failed";

export interface StoredMessage {
  id: string;
  wamid?: string;
  conversationId: string;
  direction: "inbound" | "outbound";
  type: string;
  body?: string;
  timestamp: string;
  status?: Status;
  /** Set by writers that know who sent the message (echoes of the WhatsApp Business app…). */
  source?: string;
  raw: unknown;
}

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
