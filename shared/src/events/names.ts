/**
 * PUBLIC CONTRACT. Topic, channel, stream and key names that internal subscribers and other
 * teams rely on (docs/architecture.md "Events"). Renaming anything here breaks consumers in production:
 * add a new name and migrate instead.
 */
export const TOPICS = [
  "inbound.message",
  "inbound.status",
  "inbound.error",
  "conversation.routed",
  "conversation.updated",
  /** The agent API's changes to a conversation, applied by the router (its one writer). */
  "conversation.command",
  /** What became of a command: on taps only (Bus.announce), for the gateway that asked. */
  "conversation.command_result",
  "outbound.request",
  /** What became of a send: on taps only (the ledger and the message's status are the record). */
  "outbound.result",
  "dlq",
  // Webhook fields other than user messages and statuses (docs/whatsapp-contract.md).
  "inbound.echo",
  "inbound.history",
  "inbound.preference",
  "inbound.call",
  "inbound.group",
  "inbound.state_sync",
  "inbound.handover",
  "template.update",
  "account.update",
  /** A webhook field Flank does not know yet, with its name and value. */
  "inbound.field",
  /**
   * An inbound message with a media file, for the media step when it runs after routing: the
   * router publishes it beside `conversation.routed`, so the media worker reads media messages
   * only, not every message (docs/media.md).
   */
  "media.requested",
  /** A media file of an inbound message was downloaded and stored (docs/media.md). */
  "media.stored",
  /**
   * An inbound message after the media step (transcript, stored file): what the router reads
   * instead of `inbound.message` when transcription or vision is on (docs/media.md).
   */
  "inbound.understood",
] as const;
export type Topic = (typeof TOPICS)[number];

export const CHANNEL_PREFIX = "flank";

/** Pub/sub channel (Redis) or core subject (NATS) that carries every event of a topic. */
export const topicChannel = (topic: Topic): string => `${CHANNEL_PREFIX}.${topic}`;
/** Per-conversation tap: every event of one chat. */
export const conversationChannel = (conversationId: string): string =>
  `${CHANNEL_PREFIX}.conversation.${conversationId}`;
/** Per-agent tap: assignments and replies for one human agent's screen. */
export const agentChannel = (agentId: string): string => `${CHANNEL_PREFIX}.agent.${agentId}`;

/** Every tap channel an event is published on. */
export function channelsFor(event: { type: Topic; conversationId: string; data: unknown }): string[] {
  const channels = [topicChannel(event.type), conversationChannel(event.conversationId)];
  const agentId = (event.data as { agentId?: unknown }).agentId;
  if (typeof agentId === "string" && agentId) channels.push(agentChannel(agentId));
  return channels;
}

/**
 * Redis: an event's tap channels travel as one pub/sub channel, `flank.tap` then each channel,
 * every one followed by a newline: one PUBLISH per event instead of one per channel (taps cost
 * about a quarter of the commands a message took). Subscribers match it with `redisTapGlob` and
 * split it again with `tapChannelsOf`, so a tap still sees each channel it matches.
 */
export const REDIS_TAP_PREFIX = `${CHANNEL_PREFIX}.tap`;
export const redisTapChannel = (channels: readonly string[]): string =>
  channels.length === 0 ? "" : `${REDIS_TAP_PREFIX}\n${channels.map((c) => `${c}\n`).join("")}`;
/**
 * Redis: the taps registry, a ZSET of tap patterns (NATS style, `flank.conversation.*`) scored by
 * when their registration lapses (ms since the epoch). Events are published only on channels some
 * live registration matches (shared/src/bus/redis-tap-interest.ts).
 */
export const REDIS_TAPS_KEY = "flank:taps";
/** The channels a combined Redis tap channel carries. */
export const tapChannelsOf = (combined: string): string[] =>
  combined.split("\n").filter((c, i) => i > 0 && c !== "");

/** Redis: one stream per topic partition. */
export const redisStreamKey = (topic: Topic, partition: number): string =>
  `flank:stream:${topic}:${partition}`;
export const redisDedupKey = (key: string): string => `flank:dedup:${key}`;
/** Lease names are `<group>:<topic>:<partition>`; member groups `<group>:<topic>`. */
export const redisLeaseKey = (lease: string): string => `flank:lease:${lease}`;
export const redisMembersKey = (members: string): string => `flank:members:${members}`;

/**
 * Session cache. The `{conversationId}` hash tag keeps a conversation's keys on one Redis Cluster
 * slot, so one DEL removes both.
 */
export const redisSessionKey = (conversationId: string): string => `flank:session:{${conversationId}}`;
export const redisSessionMessagesKey = (conversationId: string): string =>
  `flank:session:{${conversationId}}:messages`;
/** Agent presence: ZSET agent → last heartbeat (ms), HASH agent → conversations held. */
export const redisAgentSeenKey = (prefix = "flank"): string => `${prefix}:agents:seen`;
export const redisAgentLoadKey = (prefix = "flank"): string => `${prefix}:agents:load`;
/**
 * Token buckets (shared/src/rate-limit): the responder's send pacing; the gateway's API limits.
 * `v2`: one string per bucket since the buckets left hashes (a version still reading hashes meets
 * none of these keys during a rolling deploy, instead of a WRONGTYPE error).
 */
export const redisRateLimitKey = (bucket: string): string => `flank:rate:v2:${bucket}`;
export const redisApiRateLimitKey = (bucket: string): string => `flank:ratelimit:api:v2:${bucket}`;
/** Responder: the send ledger (idempotency). */
export const redisSendLedgerKey = (idempotencyKey: string): string => `flank:send:${idempotencyKey}`;
/** Where versions before in-place retries parked waiting sends; drained once at start, no longer written. */
export const REDIS_DELAYED_OUTBOUND_KEY = "flank:delayed:outbound";

/** NATS JetStream: one stream holds every work subject; subjects are `flankq.<topic>.<partition>`. */
export const NATS_STREAM = "FLANK";
export const NATS_WORK_PREFIX = "flankq";
export const natsWorkSubject = (topic: Topic, partition: number): string =>
  `${NATS_WORK_PREFIX}.${topic}.${partition}`;
export const NATS_LEASE_BUCKET = "flank-leases";
/** JetStream durable names allow no dots. */
export const natsDurableName = (group: string, topic: Topic, partition: number): string =>
  `${group}_${topic}_${partition}`.replace(/[^A-Za-z0-9_-]/g, "_");
/** NATS KV keys allow no colons. */
export const natsLeaseKey = (name: string): string => name.replace(/[^A-Za-z0-9_=/.-]/g, "_");
/** NATS KV key of a consumer group's live members (`<group>:<topic>`), in the lease bucket. */
export const natsMembersKey = (members: string): string => natsLeaseKey(`members.${members}`);

/** Consumer groups of Flank's own services. */
export const GROUPS = {
  router: "router",
  responder: "responder",
  sender: "sender",
  statusWriter: "status-writer",
  /** The router's handoff notices: tells the user a person is coming (or the team is away). */
  handoffNotices: "handoff-notices",
  /** The router's consumer of echoes, history, preferences, templates and calls (router/src/sync-worker.ts). */
  sync: "sync",
  /** The router's consumer of the agent API's commands (router/src/command-worker.ts). */
  commands: "commands",
  /** The responder's media worker: downloads, stores and transcribes inbound media (docs/media.md). */
  media: "media",
} as const;
