import { z } from "zod";
import { encryptionKeyProblem, parseOldEncryptionKey } from "../crypto/secret-box.js";
import { envBool, envInt, envList, envNumber, envStr } from "./env-types.js";

export const DEFAULT_GRAPH_API_VERSION = "v25.0";
const GRAPH_HOST = "https://graph.facebook.com";

/** A URL `URL` parses (a port that is a number…), starting with one of `protocols`. */
const isUrl = (v: string, protocols: readonly string[]) => {
  if (!protocols.some((p) => v.startsWith(`${p}://`))) return false;
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
};

/** The openai SDK's default base URL, for OPENAI_BASE_URL left unset. */
const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

const url = (protocols: string[], parse = true) =>
  envStr().refine(
    (v) => v === undefined || (parse ? isUrl(v, protocols) : protocols.some((p) => v.startsWith(`${p}://`))),
    { message: `expected a URL starting with ${protocols.map((p) => `${p}://`).join(" or ")}` },
  );

/** NATS_URL: comma-separated servers, each `nats://host:port` (or tls, ws, wss) or `host:port`. */
const natsServers = envStr().refine(
  (v) =>
    v === undefined ||
    v.split(",").every((s) => {
      const server = s.trim();
      return isUrl(/^[a-z]+:\/\//.test(server) ? server : `nats://${server}`, ["nats", "tls", "ws", "wss"]);
    }),
  { message: "expected comma-separated servers like nats://host:4222" },
);

/**
 * Every environment variable Flank reads (docs/configuration.md), including the names used by the
 * systems it replaces. Parsed once at start; `process.env` is read nowhere else.
 */
export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    PORT: envInt(3001, 1, 65535),

    VERIFY_TOKEN: envStr(),
    APP_SECRET: envStr(),
    FB_APP_SECRET: envStr(),
    FB_APP_ID: envStr(),
    PHONE_NUMBER_ID: envStr().refine((v) => v === undefined || /^\d+$/.test(v), "expected digits only"),
    WHATSAPP_TOKEN: envStr(),
    ACCESS_TOKEN: envStr(),
    BUSINESS_ACCOUNT_ID: envStr(),
    GRAPH_API_BASE: url(["http", "https"]),
    FB_API_VERSION: envStr().refine((v) => v === undefined || /^v\d+\.\d+$/.test(v), 'expected e.g. "v25.0"'),

    OPENAI_API_KEY: envStr(),
    OPENAI_BASE_URL: url(["http", "https"]),
    OPENAI_MODEL: z.string().trim().min(1).default("gpt-4o-mini"),
    OPENAI_ORG_ID: envStr(),
    OPENAI_PROJECT_ID: envStr(),

    REDIS_URL: url(["redis", "rediss"]),
    REDIS_HOST: envStr(),
    REDIS_PORT: envInt(6379, 1, 65535),
    REDIS_PASSWORD: envStr(),
    // Mongo's host lists (a:1,b:2) are not URLs: the driver checks the rest.
    MONGODB_URI: url(["mongodb", "mongodb+srv"], false),
    MONGODB_DB: z.string().trim().min(1).default("flank"),
    NATS_URL: natsServers,

    BUS: z.enum(["memory", "redis", "nats"]).default("memory"),
    /** How long a process tries to reach Redis, NATS and MongoDB at start before it exits 1. */
    CONNECT_TIMEOUT_MS: envInt(10_000, 500, 120_000),
    STORE: z.enum(["memory", "mongo"]).default("memory"),
    /** Messages the in-memory store keeps (oldest dropped first); with STORE=mongo, unused. */
    MEMORY_MAX_MESSAGES: envInt(5_000, 100, 10_000_000),
    BUS_PARTITIONS: envInt(16, 1, 1024),
    BUS_MAX_ATTEMPTS: envInt(5, 1, 100),
    BUS_CLAIM_TIMEOUT_MS: envInt(2500, 500, 3_600_000),
    BUS_MAX_IN_FLIGHT: envInt(1000, 1, 100_000),
    /** How long an idle read waits for events; the longest a stop waits for a read in flight. */
    BUS_READ_WAIT_MS: envInt(1000, 10, 30_000),
    BUS_DEDUP_TTL_SECONDS: envInt(7 * 24 * 3600, 60, 30 * 24 * 3600),
    BUS_STREAM_MAXLEN: envInt(100_000, 1000, 100_000_000),

    ENCRYPTION_KEY: envStr().superRefine((v, ctx) => {
      const problem = v === undefined ? undefined : encryptionKeyProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
    API_KEYS: envList(),
    ADMIN_API_KEYS: envList(),
    // Security: key rotation, API rate limits, CORS.
    // Read only, to move off them: accepted as the first releases did (parseOldEncryptionKey).
    ENCRYPTION_KEYS_OLD: envList().superRefine((keys, ctx) => {
      keys.forEach((k, i) => {
        try {
          parseOldEncryptionKey(k);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: `key ${i + 1}: ${(err as Error).message}` });
        }
      });
    }),
    RATE_LIMIT_PER_KEY: envInt(600, 0, 1_000_000),
    RATE_LIMIT_PER_IP: envInt(300, 0, 1_000_000),
    TRUST_PROXY: envBool(false),
    CORS_ORIGINS: envList().refine(
      (origins) => origins.every((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o)),
      'expected "*" or comma-separated origins like https://app.example.com (no path)',
    ),
    FLOW: envStr(),
    /** Touched every 10 s while the bus and stores answer: the workers' container healthcheck. */
    HEARTBEAT_FILE: envStr(),
    SESSION_TTL_SECONDS: envInt(26 * 3600, 60, 30 * 24 * 3600),

    // Router: flows, intent classifier, agents.
    FLOW_DIRS: envList(),
    CLASSIFIER_MODEL: envStr(),
    CLASSIFIER_TIMEOUT_MS: envInt(2000, 100, 60_000),
    AGENT_HEARTBEAT_TTL_MS: envInt(60_000, 1000, 3_600_000),
    AGENT_MAX_CONVERSATIONS: envInt(0, 0, 10_000),
    /** The bot stays quiet this long after a person answers from the WhatsApp Business app (0 = no pause). */
    HUMAN_REPLY_PAUSE_MINUTES: envInt(30, 0, 7 * 24 * 60),

    // Responder: composing replies.
    OPENAI_TIMEOUT_MS: envInt(20_000, 100, 600_000),
    /** Model calls at once per process (the bot's replies; the router's classifier). */
    MODEL_MAX_IN_FLIGHT: envInt(1000, 1, 100_000),
    /** Sockets per origin for the model and the Graph API. */
    HTTP_MAX_SOCKETS: envInt(1000, 1, 100_000),
    BURST_MODE: z.enum(["combine", "each"]).default("combine"),
    BURST_WAIT_MS: envInt(0, 0, 60_000),
    TYPING_REFRESH_MS: envInt(20_000, 1000, 25_000),
    OPENAI_MAX_RETRIES: envInt(2, 0, 10),
    OPENAI_MAX_TOKENS: envInt(400, 1, 32_768),
    OPENAI_TEMPERATURE: envNumber(0.7, 0, 2),
    FALLBACK_REPLY: z
      .string()
      .trim()
      .min(1)
      .max(4096)
      .default("Sorry, I can't answer right now. Please try again in a moment."),
    SUMMARY_EVERY: envInt(10, 1, 1000),
    /** Conversation summaries composed at once, in the background beside the replies. */
    SUMMARY_MAX_IN_FLIGHT: envInt(100, 1, 100_000),
    HISTORY_MESSAGES: envInt(20, 0, 500),
    HISTORY_TOKEN_BUDGET: envInt(3000, 100, 1_000_000),
    MARK_READ: envBool(true),
    TYPING_INDICATOR: envBool(true),
    // Responder: delivering through the Graph API.
    SEND_TIMEOUT_MS: envInt(10_000, 100, 120_000),
    SEND_MAX_ATTEMPTS: envInt(5, 1, 50),
    SEND_RETRY_BASE_MS: envInt(1000, 10, 600_000),
    SEND_RATE_PER_NUMBER: envNumber(80, 0.1, 10_000),
    SEND_RATE_PER_RECIPIENT: envNumber(1 / 6, 0.001, 100),
    SEND_BURST_PER_RECIPIENT: envInt(10, 1, 45),
    /** How long `POST /send` waits for the send result before answering 202 queued. */
    SEND_WAIT_MS: envInt(10_000, 0, 120_000),
    /** `GET /v1/stream` connections open at once (each holds a socket and a bus tap). */
    STREAM_MAX_OPEN: envInt(100, 1, 100_000),
    /** Webhook body megabytes held at once; past it, 503 (Meta retries). At least one 3.25 MB body. */
    WEBHOOK_BODY_BUDGET_MB: envInt(4, 4, 4096),

    // Media (docs/media.md): inbound files kept, voice notes transcribed, images seen.
    /** Where the filesystem media store keeps files (shared by the responder and the gateway). */
    MEDIA_DIR: z.string().trim().min(1).default("data/media"),
    MEDIA_RETENTION_DAYS: envInt(30, 1, 3650),
    /** How long one media download (or upload) may take. */
    MEDIA_TIMEOUT_MS: envInt(120_000, 1000, 3_600_000),
    /** OpenAI-compatible `audio/transcriptions` model for voice notes and audio; unset = off. */
    TRANSCRIBE_MODEL: envStr(),
    /** Images reach the model as image input (OpenAI-compatible content parts). */
    VISION: envBool(false),
  })
  .superRefine(
    (env, ctx) => {
      const need = (name: string, why: string) =>
        ctx.addIssue({ code: "custom", path: [name], message: `required ${why}` });
      if (env.BUS === "redis" && !env.REDIS_URL && !env.REDIS_HOST)
        need("REDIS_URL", "when BUS=redis (or REDIS_HOST)");
      if (env.BUS === "nats" && !env.NATS_URL) need("NATS_URL", "when BUS=nats");
      if (env.STORE === "mongo" && !env.MONGODB_URI) need("MONGODB_URI", "when STORE=mongo");
      if ((env.ENCRYPTION_KEYS_OLD?.length ?? 0) > 0 && !env.ENCRYPTION_KEY)
        need("ENCRYPTION_KEY", "when ENCRYPTION_KEYS_OLD is set (the current key encrypts)");
      if (env.GRAPH_API_BASE && env.FB_API_VERSION)
        ctx.addIssue({
          code: "custom",
          path: ["FB_API_VERSION"],
          message: "set GRAPH_API_BASE or FB_API_VERSION, not both",
        });
      // Run even when single fields failed, so one error names every problem.
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  )
  .transform((env) => ({
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    whatsapp: {
      verifyToken: env.VERIFY_TOKEN,
      appSecret: env.APP_SECRET ?? env.FB_APP_SECRET,
      appId: env.FB_APP_ID,
      phoneNumberId: env.PHONE_NUMBER_ID,
      token: env.WHATSAPP_TOKEN ?? env.ACCESS_TOKEN,
      businessAccountId: env.BUSINESS_ACCOUNT_ID,
      graphApiBase: (
        env.GRAPH_API_BASE ?? `${GRAPH_HOST}/${env.FB_API_VERSION ?? DEFAULT_GRAPH_API_VERSION}`
      ).replace(/\/+$/, ""),
    },
    openai: {
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL,
      model: env.OPENAI_MODEL,
      organization: env.OPENAI_ORG_ID,
      project: env.OPENAI_PROJECT_ID,
    },
    bus: {
      kind: env.BUS,
      partitions: env.BUS_PARTITIONS,
      maxAttempts: env.BUS_MAX_ATTEMPTS,
      claimTimeoutMs: env.BUS_CLAIM_TIMEOUT_MS,
      maxInFlight: env.BUS_MAX_IN_FLIGHT,
      readWaitMs: env.BUS_READ_WAIT_MS,
      dedupTtlSeconds: env.BUS_DEDUP_TTL_SECONDS,
      streamMaxLen: env.BUS_STREAM_MAXLEN,
    },
    store: {
      kind: env.STORE,
      sessionTtlSeconds: env.SESSION_TTL_SECONDS,
      memoryMaxMessages: env.MEMORY_MAX_MESSAGES,
    },
    connectTimeoutMs: env.CONNECT_TIMEOUT_MS,
    redis: { url: env.REDIS_URL ?? redisUrlFromParts(env.REDIS_HOST, env.REDIS_PORT, env.REDIS_PASSWORD) },
    mongo: { uri: env.MONGODB_URI, db: env.MONGODB_DB },
    nats: { url: env.NATS_URL },
    security: {
      encryptionKey: env.ENCRYPTION_KEY,
      apiKeys: env.API_KEYS,
      adminApiKeys: env.ADMIN_API_KEYS,
      /** Earlier keys, still accepted for decryption until `rotateSecrets` has run. */
      encryptionKeysOld: env.ENCRYPTION_KEYS_OLD,
      /** Requests per minute per API key and per client IP on the public API; 0 = unlimited. */
      rateLimitPerKey: env.RATE_LIMIT_PER_KEY,
      rateLimitPerIp: env.RATE_LIMIT_PER_IP,
      /** Take the client IP from X-Forwarded-For (last hop) instead of the socket. */
      trustProxy: env.TRUST_PROXY,
      /** Browser origins allowed by CORS; empty = CORS off. */
      corsOrigins: env.CORS_ORIGINS,
    },
    flow: env.FLOW,
    heartbeatFile: env.HEARTBEAT_FILE,
    router: {
      flowDirs: env.FLOW_DIRS,
      classifierModel: env.CLASSIFIER_MODEL ?? env.OPENAI_MODEL,
      classifierTimeoutMs: env.CLASSIFIER_TIMEOUT_MS,
      agentHeartbeatTtlMs: env.AGENT_HEARTBEAT_TTL_MS,
      agentMaxConversations: env.AGENT_MAX_CONVERSATIONS,
      humanReplyPauseMinutes: env.HUMAN_REPLY_PAUSE_MINUTES,
    },
    responder: {
      openaiTimeoutMs: env.OPENAI_TIMEOUT_MS,
      openaiMaxRetries: env.OPENAI_MAX_RETRIES,
      modelMaxInFlight: env.MODEL_MAX_IN_FLIGHT,
      httpMaxSockets: env.HTTP_MAX_SOCKETS,
      burstMode: env.BURST_MODE,
      burstWaitMs: env.BURST_WAIT_MS,
      typingRefreshMs: env.TYPING_REFRESH_MS,
      maxTokens: env.OPENAI_MAX_TOKENS,
      temperature: env.OPENAI_TEMPERATURE,
      fallbackReply: env.FALLBACK_REPLY,
      summaryEvery: env.SUMMARY_EVERY,
      summaryMaxInFlight: env.SUMMARY_MAX_IN_FLIGHT,
      historyMessages: env.HISTORY_MESSAGES,
      historyTokenBudget: env.HISTORY_TOKEN_BUDGET,
      markRead: env.MARK_READ,
      typingIndicator: env.TYPING_INDICATOR,
      sendTimeoutMs: env.SEND_TIMEOUT_MS,
      sendMaxAttempts: env.SEND_MAX_ATTEMPTS,
      sendRetryBaseMs: env.SEND_RETRY_BASE_MS,
      ratePerNumber: env.SEND_RATE_PER_NUMBER,
      ratePerRecipient: env.SEND_RATE_PER_RECIPIENT,
      burstPerRecipient: env.SEND_BURST_PER_RECIPIENT,
    },
    media: {
      dir: env.MEDIA_DIR,
      retentionDays: env.MEDIA_RETENTION_DAYS,
      timeoutMs: env.MEDIA_TIMEOUT_MS,
      transcribeModel: env.TRANSCRIBE_MODEL,
      vision: env.VISION,
      /**
       * The media step runs before routing (the router reads `inbound.understood`) when a
       * transcript or an image must be ready for the rules and the model (docs/media.md).
       */
      beforeRouting: Boolean(env.TRANSCRIBE_MODEL) || env.VISION,
    },
    gateway: {
      sendWaitMs: env.SEND_WAIT_MS,
      streamMaxOpen: env.STREAM_MAX_OPEN,
      webhookBodyBudgetMb: env.WEBHOOK_BODY_BUDGET_MB,
    },
  }));

export type Config = z.output<typeof EnvSchema>;

export type Env = Record<string, string | undefined>;

function redisUrlFromParts(
  host: string | undefined,
  port: number,
  password: string | undefined,
): string | undefined {
  if (!host) return undefined;
  const auth = password ? `:${encodeURIComponent(password)}@` : "";
  return `redis://${auth}${host}:${port}`;
}
