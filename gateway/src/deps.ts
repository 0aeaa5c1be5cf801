import type { Bus } from "@flank/shared/bus";
import type { Config } from "@flank/shared/config";
import type { OutboundResultData } from "@flank/shared/contract";
import type { IntegrationService } from "@flank/shared/integrations";
import type { HealthLog } from "@flank/shared/lifecycle";
import type { MediaStore } from "@flank/shared/media";
import type { TokenBuckets } from "@flank/shared/rate-limit";
import type { RedisClient } from "@flank/shared/redis";
import type { AgentPresence } from "@flank/shared/routing";
import type { Stores } from "@flank/shared/store";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AgentKeys } from "./agent-keys.js";
import type { AgentMetrics } from "./agent-metrics.js";
import type { BodyBudget } from "./body.js";
import type { RunCommand } from "./conversation-commands.js";
import type { GatewayMetrics } from "./metrics.js";
import type { Principal } from "./middleware/api-keys.js";
import type { ResultWaiter } from "./result-waiter.js";

/** What the gateway is built from; main.ts (or the embedded mode) wires the real ones. */
export interface GatewayDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  log: Logger;
  /** Prometheus registry the gateway's metrics are registered on (never the global one). */
  registry: Registry;
  /** Online agents and their load; shared with the router (through Redis, or in one process). */
  presence: AgentPresence;
  /**
   * Business numbers and their (decrypted) secrets. Optional: built from config (ENCRYPTION_KEY,
   * ENCRYPTION_KEYS_OLD, the single-tenant variables) over `stores.integrations` when left out.
   */
  integrations?: IntegrationService;
  /** When given, API rate limits are shared by every gateway instance through it. */
  redis?: RedisClient;
  /** Replaces the limiter chosen from `redis` (tests: a fake clock). */
  rateLimiter?: TokenBuckets;
  /** Aborted when the gateway stops: ends long-lived responses (the event stream). */
  shutdown?: AbortSignal;
  /** Where /readyz reports what failed and why (the process's, so an outage is logged once). */
  healthLog?: HealthLog;
  /** How long an agent call waits for the router's answer before a 202 (COMMAND_WAIT_MS by default). */
  commandWaitMs?: number;
  /** The media the responder stored (`GET /v1/media/{id}`): the filesystem store at MEDIA_DIR by default. */
  mediaStore?: MediaStore;
}

/** Built once per app from the deps and shared by the routes. */
export interface GatewayContext extends GatewayDeps {
  metrics: GatewayMetrics;
  /** Webhook body bytes held at once (WEBHOOK_BODY_BUDGET_MB), shared by both HTTP paths. */
  bodies: BodyBudget;
  healthLog: HealthLog;
  agentMetrics: AgentMetrics;
  agentKeys: AgentKeys;
  results: ResultWaiter<OutboundResultData>;
  /** Changes to conversations, asked of the router (conversation-commands.ts). */
  runCommand: RunCommand;
  integrations: IntegrationService;
  mediaStore: MediaStore;
}

export type GatewayEnv = {
  Variables: {
    requestId: string;
    /** The fingerprint of the request's API key, once requireApiKey has accepted it. */
    apiKeyId?: string;
    /** Extra fields for the request's one log line. */
    logFields?: Record<string, unknown>;
    /** Who the API key belongs to (set by the key check on protected routes). */
    principal?: Principal;
  };
};
