// Helpers for this package's tests only (not exported from index.ts).

import { createCommandWorker } from "@flank/router";
import { type Bus, createMemoryBus, type PublishOptions } from "@flank/shared/bus";
import { type Config, type Env, parseConfig } from "@flank/shared/config";
import { type FlankEvent, type Route, topicChannel } from "@flank/shared/contract";
import { type IntegrationService, integrationServiceFromConfig } from "@flank/shared/integrations";
import { type MediaStore, MemoryMediaStore } from "@flank/shared/media";
import type { TokenBuckets } from "@flank/shared/rate-limit";
import type { RedisClient } from "@flank/shared/redis";
import { createAgentPresence } from "@flank/shared/routing";
import { type Conversation, createMemoryStores, type Stores } from "@flank/shared/store";
import { signPayload } from "@flank/shared/whatsapp";
import { type Logger, pino } from "pino";
import { Registry } from "prom-client";
import { type AppOptions, createApp } from "./app.js";
import type { GatewayDeps } from "./deps.js";

export const SECRET = "test-app-secret";
export const VERIFY = "verify-me-please";
export const API_KEY = "key-one-0123456789";
export const PNID = "106540352242922";
export const AUTH = { authorization: `Bearer ${API_KEY}` };
export const ADMIN_KEY = "admin-key-0123456789";
export const ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };
/** A fixed test key (32 bytes, hex): integration secrets are encrypted as in production. */
export const ENCRYPTION_KEY = "8f3a1c0e5b7d9f2a4c6e8b0d1f3a5c7e9b1d3f5a7c9e0b2d4f6a8c0e2b4d6f8a";

export const silentLog = () => pino({ level: process.env.LOG_LEVEL ?? "silent" });

export function testConfig(env: Env = {}): Config {
  return parseConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    VERIFY_TOKEN: VERIFY,
    APP_SECRET: SECRET,
    API_KEYS: `${API_KEY},key-two-0123456789`,
    ADMIN_API_KEYS: ADMIN_KEY,
    ENCRYPTION_KEY,
    PHONE_NUMBER_ID: PNID,
    SEND_WAIT_MS: "300",
    ...env,
  });
}

/** A bus whose publish calls are recorded, and which can be told to fail the next calls. */
export interface SpyBus extends Bus {
  calls: { events: FlankEvent[]; opts: PublishOptions | undefined }[];
  failNext: number;
}

export function spyBus(inner: Bus): SpyBus {
  const spy: SpyBus = {
    calls: [],
    failNext: 0,
    publish: async (events, opts) => {
      spy.calls.push({ events: Array.isArray(events) ? [...events] : [events as FlankEvent], opts });
      if (spy.failNext > 0) {
        spy.failNext--;
        throw new Error("connection refused (test)");
      }
      return inner.publish(events, opts);
    },
    announce: (events) => inner.announce(events),
    consume: (o) => inner.consume(o),
    tap: (pattern, handler) => inner.tap(pattern, handler),
    health: () => inner.health(),
    close: (o) => inner.close(o),
  };
  return spy;
}

export interface MakeAppOptions {
  env?: Env;
  bus?: Bus;
  stores?: Stores;
  log?: Logger;
  rateLimiter?: TokenBuckets;
  redis?: RedisClient;
  /** Replaces the service built from the config and stores. */
  integrations?: IntegrationService;
  /** In memory unless given (never MEDIA_DIR on disk). */
  mediaStore?: MediaStore;
  appOptions?: AppOptions;
  commandWaitMs?: number;
}

/** The deps createApp or startGateway get, with the bus spied on. */
export function makeDeps(opts: Omit<MakeAppOptions, "appOptions"> = {}) {
  const log = opts.log ?? silentLog();
  const config = testConfig(opts.env);
  const inner =
    opts.bus ?? createMemoryBus(log, { partitions: 2, claimTimeoutMs: 1000, retryBaseDelayMs: 5 });
  const bus = spyBus(inner);
  const stores = opts.stores ?? createMemoryStores();
  const registry = new Registry();
  const presence = createAgentPresence(config, undefined);
  const integrations = opts.integrations ?? integrationServiceFromConfig(config, stores.integrations, log);
  const deps: GatewayDeps = {
    config,
    bus,
    stores,
    log,
    registry,
    presence,
    integrations,
    mediaStore: opts.mediaStore ?? new MemoryMediaStore(),
    ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
    ...(opts.redis ? { redis: opts.redis } : {}),
    ...(opts.commandWaitMs ? { commandWaitMs: opts.commandWaitMs } : {}),
  };
  return { deps, bus, inner, stores, registry, config, log, presence, integrations };
}

export function makeApp(opts: MakeAppOptions = {}) {
  const t = makeDeps(opts);
  return { app: createApp(t.deps, opts.appOptions), ...t };
}

/** A webhook POST init, signed like Meta signs it (over the exact bytes). */
export function signed(body: string | object, secret = SECRET): RequestInit {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  return {
    method: "POST",
    body: raw,
    headers: { "content-type": "application/json", "x-hub-signature-256": signPayload(raw, secret) },
  };
}

/** Every event published from now on, once each (taken from its topic channel). */
export async function collect(bus: Bus) {
  const events: FlankEvent[] = [];
  const sub = await bus.tap("flank.>", (event, channel) => {
    if (channel === topicChannel(event.type)) events.push(event);
  });
  return { events, close: () => sub.close() };
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...AUTH, ...headers },
});

/** Reads server-sent events from a streaming response. */
export function sseReader(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: { event?: string; data?: string }[] = [];
  let buffer = "";
  let done = false;
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) {
        done = true;
        return;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!frame.startsWith(":")) {
          const fields = Object.fromEntries(
            frame.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
          );
          frames.push(fields);
        }
        end = buffer.indexOf("\n\n");
      }
    }
  })();
  return { frames, cancel: () => reader.cancel(), isDone: () => done };
}

/** Creates an agent through the admin API; returns its Authorization header. */
export async function agentKey(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  agent: { id: string; name: string; tenants: string[] },
): Promise<Record<string, string>> {
  const res = await app.request("/v1/admin/agents", {
    method: "POST",
    headers: { "content-type": "application/json", ...ADMIN },
    body: JSON.stringify(agent),
  });
  if (res.status !== 201) throw new Error(`creating agent ${agent.id}: ${res.status} ${await res.text()}`);
  return { authorization: `Bearer ${((await res.json()) as { key: string }).key}` };
}

/** Saves a conversation on a route (an agent's counts one more load), opened just now. */
export async function seedConversation(
  t: { stores: Stores; presence: { addLoad(agentId: string, delta: number): Promise<number> } },
  user: string,
  route: Route = "bot",
  extra: Partial<Conversation> = {},
  tenant = PNID,
): Promise<Conversation> {
  const agentId = route.startsWith("agent:") ? route.slice(6) : undefined;
  const res = await t.stores.conversations.save(
    {
      id: `${tenant}:${user}`,
      tenant,
      user,
      waId: user,
      stage: "chat",
      route,
      agentId,
      lastInboundAt: new Date().toISOString(),
      ...extra,
    },
    0,
  );
  if (!res.ok) throw new Error(`seeding ${tenant}:${user} failed`);
  if (agentId) await t.presence.addLoad(agentId, 1);
  return res.conversation;
}

/**
 * The router's command worker on the app's bus: the agent routes ask it to change conversations
 * (the gateway never writes them). Returns its stop.
 */
export async function startCommandWorker(t: ReturnType<typeof makeDeps>): Promise<() => Promise<void>> {
  const worker = createCommandWorker({ bus: t.inner, stores: t.stores, presence: t.presence, log: t.log });
  await worker.start();
  return () => worker.stop({ timeoutMs: 1000 });
}
