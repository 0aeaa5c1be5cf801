import { redisApiRateLimitKey } from "@flank/shared/contract";
import { integrationServiceFromConfig } from "@flank/shared/integrations";
import { createHealthLog } from "@flank/shared/lifecycle";
import { FileMediaStore } from "@flank/shared/media";
import { MemoryTokenBuckets, RedisTokenBuckets, type TokenBuckets } from "@flank/shared/rate-limit";
import { RedisClock } from "@flank/shared/redis";
import { Hono } from "hono";
import { createAgentKeys } from "./agent-keys.js";
import { createAgentMetrics } from "./agent-metrics.js";
import { DOCS_PATH } from "./api-paths.js";
import { BodyBudget } from "./body.js";
import { commandRunner } from "./conversation-commands.js";
import type { GatewayContext, GatewayDeps, GatewayEnv } from "./deps.js";
import { notFound, onError } from "./errors.js";
import { createGatewayMetrics } from "./metrics.js";
import { requireApiKey, type Scope } from "./middleware/api-keys.js";
import { limitByAddress, limitByKey } from "./middleware/rate-limit.js";
import { corsFor, type SecurityHeaderOptions, securityHeaders } from "./middleware/security.js";
import { observe } from "./observe.js";
import { requestIds } from "./request-id.js";
import { commandResults, outboundResults, type Waiters } from "./result-waiter.js";
import { agentAdminRoutes } from "./routes/agent-admin.js";
import { agentRoutes } from "./routes/agents.js";
import { CONSOLE_PATH, consoleRoutes } from "./routes/console.js";
import { docsRoutes } from "./routes/docs.js";
import { EMBEDDED_SIGNUP_PATH, embeddedSignupRoutes } from "./routes/embedded-signup.js";
import { historyRoutes } from "./routes/history.js";
import { INTEGRATIONS_PATH, integrationRoutes } from "./routes/integrations.js";
import { mediaRoutes } from "./routes/media.js";
import { messageRoutes } from "./routes/messages.js";
import { opsRoutes } from "./routes/ops.js";
import { type StreamOptions, streamRoutes } from "./routes/stream.js";
import { webhookRoutes } from "./routes/webhook.js";

export interface AppOptions {
  /** Shares one result tap with the caller (startGateway closes it on stop). */
  waiters?: Waiters;
  stream?: StreamOptions;
  /** Extra sub-apps mounted beside the gateway's routes (the embedded mode's playground). */
  mount?: readonly { path: string; app: Hono }[];
}

/** Paths behind an API key (docs/architecture.md "HTTP surface": everything but the webhook, health, metrics, docs and the console page). */
export const API_PATHS = ["/send", "/get", "/v1/*"] as const;
/** Behind an `admin` key only ("/x/*" also matches "/x"); the agent admin API is `/v1/admin/*`. */
export const ADMIN_PATHS = ["/api/v1/channels/whatsapp/*"] as const;

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Which keys a protected path takes: admin keys only; the agent API (agent keys too); or send/read. */
export function scopeOf(path: string): Scope {
  if (under(path, "/api/v1/channels/whatsapp") || under(path, "/v1/admin")) return "admin";
  if (under(path, "/v1/agents")) return "agents";
  return "api";
}

const limiterFor = (deps: GatewayDeps): TokenBuckets =>
  deps.rateLimiter ??
  (deps.redis
    ? new RedisTokenBuckets(deps.redis, new RedisClock(deps.redis), redisApiRateLimitKey)
    : new MemoryTokenBuckets());

/** The taps a gateway waits on for answers: send results and conversation command results. */
export const createWaiters = (deps: Pick<GatewayDeps, "bus" | "log">): Waiters => ({
  results: outboundResults(deps.bus, deps.log),
  commands: commandResults(deps.bus, deps.log),
});

/** Built once per app from the deps and shared by its routes. */
export function createContext(deps: GatewayDeps, waiters = createWaiters(deps)): GatewayContext {
  return {
    ...deps,
    healthLog: deps.healthLog ?? createHealthLog(deps.log),
    bodies: new BodyBudget(deps.config.gateway.webhookBodyBudgetMb * 1024 * 1024),
    integrations:
      deps.integrations ?? integrationServiceFromConfig(deps.config, deps.stores.integrations, deps.log),
    metrics: createGatewayMetrics(deps.registry),
    agentKeys: createAgentKeys(deps.stores.agents),
    agentMetrics: createAgentMetrics(deps.registry, {
      conversations: deps.stores.conversations,
      presence: deps.presence,
      agents: deps.stores.agents,
      log: deps.log,
    }),
    results: waiters.results,
    runCommand: commandRunner({
      bus: deps.bus,
      log: deps.log,
      waiter: waiters.commands,
      ...(deps.commandWaitMs ? { waitMs: deps.commandWaitMs } : {}),
    }),
    mediaStore: deps.mediaStore ?? new FileMediaStore(deps.config.media.dir),
  };
}

/** The security header policy: the API's, with the docs page and the mounted sub-apps' exceptions. */
export const securityOptions = (
  config: Pick<GatewayDeps["config"], "env">,
  mounts: AppOptions["mount"] = [],
): SecurityHeaderOptions => ({
  production: config.env === "production",
  ownPolicyPrefixes: mounts.map((m) => m.path),
  // The API viewer and the console: pages built from same-origin scripts and styles only.
  appPaths: [CONSOLE_PATH, DOCS_PATH],
});

/** The gateway's HTTP app. Never listens: main.ts serves it, tests call `app.request()`. */
export function createApp(deps: GatewayDeps, opts: AppOptions = {}): Hono<GatewayEnv> {
  return buildApp(createContext(deps, opts.waiters), opts);
}

/** createApp over a context the caller shares (startGateway). */
export function buildApp(ctx: GatewayContext, opts: Omit<AppOptions, "results"> = {}): Hono<GatewayEnv> {
  const { config, log } = ctx;
  const { security } = config;
  const mounts = opts.mount ?? [];
  const app = new Hono<GatewayEnv>();
  app.onError(onError(log));
  app.notFound(notFound);
  // Before the middleware: Meta's webhook sets its own request id, headers and log line, the same
  // but cheaper (routes/webhook.ts). Never rate limited nor behind a key: Meta's deliveries and
  // retries must always get through.
  app.route("/", webhookRoutes(ctx));
  app.use(requestIds());
  // Before the routes, so every answer carries them: errors, 404s, 401s and 429s included.
  app.use(securityHeaders(securityOptions(config, mounts)));
  app.use(observe(ctx));

  for (const m of mounts) app.route(m.path, m.app);
  app.route("/", opsRoutes(ctx));
  app.route("/", docsRoutes());
  // The page and its script hold no secret: the agent signs in with a key the API checks.
  app.route(CONSOLE_PATH, consoleRoutes());

  // The public API: CORS (preflights carry no key), the limit per address (before the key check,
  // so guessing keys is limited too), the key of the right kind, then the limit per valid key.
  const cors = corsFor(security.corsOrigins);
  const limiter = limiterFor(ctx);
  const byAddress = limitByAddress({
    limiter,
    perMinute: security.rateLimitPerIp,
    trustProxy: security.trustProxy,
    log,
  });
  const byKey = limitByKey({ limiter, perMinute: security.rateLimitPerKey, log });
  for (const path of [...API_PATHS, ...ADMIN_PATHS]) {
    app.use(path, cors);
    app.use(path, byAddress);
  }
  const apiKey = requireApiKey({ ...security, agentForKey: ctx.agentKeys.forKey }, scopeOf);
  for (const path of [...API_PATHS, ...ADMIN_PATHS]) app.use(path, apiKey, byKey);

  app.route("/", messageRoutes(ctx));
  app.route("/", historyRoutes(ctx));
  app.route("/", mediaRoutes(ctx));
  app.route("/", streamRoutes(ctx, opts.stream));
  app.route(
    "/v1",
    agentRoutes({ ...ctx, ...(opts.stream?.keepAliveMs ? { keepAliveMs: opts.stream.keepAliveMs } : {}) }),
  );
  app.route("/v1/admin/agents", agentAdminRoutes({ agents: ctx.stores.agents, keys: ctx.agentKeys }));
  app.route(INTEGRATIONS_PATH, integrationRoutes({ service: ctx.integrations }));
  app.route(
    EMBEDDED_SIGNUP_PATH,
    embeddedSignupRoutes({
      service: ctx.integrations,
      graph: {
        graphApiBase: config.whatsapp.graphApiBase,
        appId: config.whatsapp.appId,
        appSecret: config.whatsapp.appSecret,
      },
      log: log.child({ component: "embedded-signup" }),
    }),
  );
  return app;
}
