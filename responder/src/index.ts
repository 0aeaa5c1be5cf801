import type { Bus } from "@flank/shared/bus";
import type { Config } from "@flank/shared/config";
import { redisRateLimitKey } from "@flank/shared/contract";
import type { FlowRegistry } from "@flank/shared/flows";
import { type IntegrationService, integrationServiceFromConfig } from "@flank/shared/integrations";
import type { Logger } from "@flank/shared/log";
import { FileMediaStore, type MediaStore, startMediaSweeper } from "@flank/shared/media";
import { MemoryTokenBuckets, RedisTokenBuckets, type TokenBuckets } from "@flank/shared/rate-limit";
import { type RedisClient, RedisClock } from "@flank/shared/redis";
import { type IntegrationStore, type Stores, sessionHistoryKeep } from "@flank/shared/store";
import { BotWorker } from "./bot-worker.js";
import { createGraphClient } from "./graph-client.js";
import { createLeanHttp, fetchRequest } from "./lean-fetch.js";
import { drainLegacyDelayQueue } from "./legacy-delay-queue.js";
import type { OpenStream } from "./media-download.js";
import { MediaWorker } from "./media-worker.js";
import { MemoryKeeper } from "./memory-keeper.js";
import { createMemoryMetrics, type ResponderMetrics } from "./metrics.js";
import { type ChatModel, createOpenAIModel } from "./openai-composer.js";
import { createReceipts } from "./receipts.js";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.js";
import type { SendLedger } from "./send-ledger.js";
import { MemorySendLedger } from "./send-ledger-memory.js";
import { RedisSendLedger } from "./send-ledger-redis.js";
import { SenderWorker, type TenantLookup } from "./sender-worker.js";
import { type SessionCacheLike, sessionHistoryFrom } from "./session-history.js";
import { createTranscriber } from "./transcriber.js";
import { imagesFrom } from "./vision.js";

export { BotWorker, replyKey } from "./bot-worker.js";
export { classifyCode, classifyFailure } from "./error-classifier.js";
export { toGraphBody } from "./graph-body.js";
export { MediaWorker } from "./media-worker.js";
export { createMemoryMetrics, type ResponderMetrics } from "./metrics.js";
export { SenderWorker, type TenantCredentials, type TenantLookup } from "./sender-worker.js";

export interface ResponderDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  flows: FlowRegistry;
  sessionCache: SessionCacheLike;
  log: Logger;
  /**
   * Business numbers and their decrypted tokens. Optional: built from config (ENCRYPTION_KEY,
   * ENCRYPTION_KEYS_OLD, the single-tenant variables) over `stores.integrations` when left out.
   */
  integrations?: IntegrationService;
  /** When given, pacing, idempotency and scheduled retries are shared with other instances. */
  redis?: RedisClient;
  metrics?: ResponderMetrics;
  /** Replaces the OpenAI model built from config (tests, custom models). */
  model?: ChatModel;
  /** A fetch for the Graph API and the model instead of the lean request (lean-fetch.ts): tests. */
  fetch?: typeof fetch;
  /** Where inbound media is kept: the filesystem store at MEDIA_DIR by default (docs/media.md). */
  mediaStore?: MediaStore;
  /** The media worker's and transcriber's transport (tests); streamRequest by default. */
  mediaOpen?: OpenStream;
  /** Start only some workers (e.g. a sender-only instance). All by default. */
  run?: { bot?: boolean; sender?: boolean; media?: boolean };
}

export interface Responder {
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

/**
 * The sender's view of a business number: its enabled integration (stored, or the environment's
 * PHONE_NUMBER_ID + WHATSAPP_TOKEN). `fallbackToken` keeps older single-tenant setups that set a
 * token but no PHONE_NUMBER_ID working: it serves numbers with no stored integration at all
 * (never a disabled one).
 */
export function tenantLookupFrom(
  service: IntegrationService,
  opts: { store?: Pick<IntegrationStore, "getByPhoneNumberId">; fallbackToken?: string } = {},
): TenantLookup {
  return async (phoneNumberId) => {
    const resolved = await service.resolve(phoneNumberId);
    if (resolved) {
      const { accessToken, templateFallback, wabaId } = resolved.integration;
      return {
        accessToken,
        ...(templateFallback ? { templateFallback } : {}),
        ...(wabaId ? { wabaId } : {}),
      };
    }
    if (opts.fallbackToken && opts.store && !(await opts.store.getByPhoneNumberId(phoneNumberId))) {
      return { accessToken: opts.fallbackToken };
    }
    return undefined;
  };
}

/**
 * How long a claimed idempotency key stays ours unless renewed (it is, while a send runs): the
 * bus's claim timeout, so a dead sender's keys free up as fast as its partitions.
 */
const leaseMsFor = (config: Config) => Math.max(2000, config.bus.claimTimeoutMs);

/**
 * Starts the responder: the sender (outbound.request → Graph API) and the bot
 * (conversation.routed → compose → outbound.request). Used by main.ts and the embedded mode.
 */
export async function startResponder(deps: ResponderDeps): Promise<Responder> {
  const { config, log } = deps;
  const r = config.responder;
  const metrics = deps.metrics ?? createMemoryMetrics();
  // One keep-alive pool for the model and the Graph API (see lean-fetch.ts for why not the global
  // fetch); both take its Response-free `request`.
  const lean = createLeanHttp({ maxSockets: r.httpMaxSockets });
  const request = deps.fetch ? fetchRequest(deps.fetch) : lean.request;
  const model =
    deps.model ??
    (config.openai.apiKey
      ? createOpenAIModel({
          apiKey: config.openai.apiKey,
          baseUrl: config.openai.baseUrl,
          ...(config.openai.organization ? { organization: config.openai.organization } : {}),
          ...(config.openai.project ? { project: config.openai.project } : {}),
          model: config.openai.model,
          temperature: r.temperature,
          maxTokens: r.maxTokens,
          timeoutMs: r.openaiTimeoutMs,
          maxRetries: r.openaiMaxRetries,
          request,
        })
      : undefined);
  if (!model) log.info("no OPENAI_API_KEY: offline mode, replies come from the flows' scripts");

  const ledgerTtlMs = config.bus.dedupTtlSeconds * 1000;
  // Pacing and the ledger read one estimate of Redis's clock (one TIME per 30 s, not per script).
  const shared = deps.redis ? { redis: deps.redis, clock: new RedisClock(deps.redis) } : undefined;
  const limiter: TokenBuckets = shared
    ? new RedisTokenBuckets(shared.redis, shared.clock, redisRateLimitKey)
    : new MemoryTokenBuckets();
  const ledger: SendLedger = shared
    ? new RedisSendLedger(shared.redis, shared.clock, ledgerTtlMs)
    : new MemorySendLedger(ledgerTtlMs);

  const run = {
    bot: deps.run?.bot ?? true,
    sender: deps.run?.sender ?? true,
    media: deps.run?.media ?? true,
  };
  const mediaStore = deps.mediaStore ?? new FileMediaStore(config.media.dir);
  const tenants = tenantLookupFrom(
    deps.integrations ?? integrationServiceFromConfig(deps.config, deps.stores.integrations, deps.log),
    {
      store: deps.stores.integrations,
      // With PHONE_NUMBER_ID set, the token belongs to that number only (the env integration).
      ...(config.whatsapp.phoneNumberId || !config.whatsapp.token
        ? {}
        : { fallbackToken: config.whatsapp.token }),
    },
  );
  const graph = createGraphClient({
    base: config.whatsapp.graphApiBase,
    timeoutMs: r.sendTimeoutMs,
    request,
  });
  const sender = run.sender
    ? new SenderWorker({
        bus: deps.bus,
        stores: deps.stores,
        cache: deps.sessionCache,
        tenants,
        graph,
        limiter,
        ledger,
        metrics,
        log: log.child({ component: "sender" }),
        options: {
          pacing: {
            perNumberRate: r.ratePerNumber,
            perRecipientRate: r.ratePerRecipient,
            perRecipientBurst: r.burstPerRecipient,
          },
          retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: r.sendMaxAttempts, baseDelayMs: r.sendRetryBaseMs },
          leaseMs: leaseMsFor(config),
        },
      })
    : undefined;
  const bot = run.bot
    ? new BotWorker({
        bus: deps.bus,
        flows: deps.flows,
        memory: new MemoryKeeper({
          summaries: deps.stores.summaries,
          // Room for the prompt's history and every exchange since the last summary.
          history: sessionHistoryFrom(deps.sessionCache, sessionHistoryKeep(r)),
          ...(model ? { model } : {}),
          summaryEvery: r.summaryEvery,
          summaryMaxInFlight: r.summaryMaxInFlight,
          metrics,
          log: log.child({ component: "memory" }),
        }),
        users: deps.stores.users,
        ...(model ? { model } : {}),
        ...(config.media.vision ? { images: imagesFrom(mediaStore) } : {}),
        receipts: createReceipts({
          bus: deps.bus,
          tenants,
          graph,
          metrics,
          log: log.child({ component: "receipts" }),
        }),
        metrics,
        log: log.child({ component: "bot" }),
        options: {
          fallbackReply: r.fallbackReply,
          historyMessages: r.historyMessages,
          historyTokenBudget: r.historyTokenBudget,
          markRead: r.markRead,
          typingIndicator: r.typingIndicator,
          burstMode: r.burstMode,
          burstWaitMs: r.burstWaitMs,
          typingRefreshMs: r.typingRefreshMs,
          modelMaxInFlight: r.modelMaxInFlight,
        },
      })
    : undefined;

  const transcribeModel = config.media.transcribeModel;
  if (transcribeModel && !config.openai.apiKey)
    log.warn("TRANSCRIBE_MODEL is set without OPENAI_API_KEY: voice notes are not transcribed");
  const media = run.media
    ? new MediaWorker({
        bus: deps.bus,
        store: mediaStore,
        tenants,
        graphBase: config.whatsapp.graphApiBase,
        timeoutMs: config.media.timeoutMs,
        ...(transcribeModel && config.openai.apiKey
          ? {
              transcriber: createTranscriber({
                baseUrl: config.openai.baseUrl,
                apiKey: config.openai.apiKey,
                model: transcribeModel,
                timeoutMs: config.media.timeoutMs,
                ...(deps.mediaOpen ? { open: deps.mediaOpen } : {}),
              }),
            }
          : {}),
        beforeRouting: config.media.beforeRouting,
        maxAttempts: config.bus.maxAttempts,
        log: log.child({ component: "media" }),
        ...(deps.mediaOpen ? { open: deps.mediaOpen } : {}),
      })
    : undefined;
  const stopSweeper = run.media
    ? startMediaSweeper({ store: mediaStore, retentionDays: config.media.retentionDays, log })
    : undefined;

  // The sender first, so the bot's first reply has somewhere to go.
  if (sender && deps.redis) await drainLegacyDelayQueue(deps.redis, deps.bus, log);
  await sender?.start();
  try {
    await media?.start();
    await bot?.start();
  } catch (err) {
    stopSweeper?.();
    await media?.stop();
    await sender?.stop();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    stop(opts = {}) {
      stopping ??= (async () => {
        const timeoutMs = opts.timeoutMs ?? 10_000;
        stopSweeper?.();
        await media?.stop(timeoutMs);
        await bot?.stop(timeoutMs);
        await sender?.stop(timeoutMs);
      })();
      return stopping;
    },
  };
}
export { service } from "./service.js";
