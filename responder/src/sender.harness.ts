import { captureLog, type GraphTestServer, startGraphServer } from "@flank/devtools";
import { type Bus, createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventOf, type FlankEvent, type OutboundRequestData } from "@flank/shared/contract";
import { createKeyring } from "@flank/shared/crypto";
import { createIntegrationService, type IntegrationService } from "@flank/shared/integrations";
import { MemoryTokenBuckets } from "@flank/shared/rate-limit";
import { createMemoryStores, MemorySessionCache, type Stores } from "@flank/shared/store";
import { createGraphClient } from "./graph-client.js";
import { tenantLookupFrom } from "./index.js";
import { createMemoryMetrics } from "./metrics.js";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.js";
import type { SendLedger } from "./send-ledger.js";
import { MemorySendLedger } from "./send-ledger-memory.js";
import { type SenderOptions, SenderWorker, type TenantLookup } from "./sender-worker.js";

export const TENANT = "100200300";
export const USER = "15550001111";
export const CONVERSATION = `${TENANT}:${USER}`;
/** The single-tenant token of a setup without PHONE_NUMBER_ID (the fallback for unstored numbers). */
export const CONFIG_TOKEN = "CONFIG_TOKEN";
/** Integration secrets are encrypted with it, as in production. */
export const TEST_ENCRYPTION_KEY = "5d2c8e1f0a3b6c9d4e7f2a5b8c1d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d";

/** A sender on the memory bus and stores, talking to a Graph API test server; records results and logs. */
export interface SenderHarness {
  bus: Bus;
  stores: Stores;
  /** The router's conversation snapshots, read before the store for the 24-hour window. */
  cache: MemorySessionCache;
  /** Creates integrations the way the gateway does: secrets encrypted in the store. */
  integrations: IntegrationService;
  graph: GraphTestServer;
  sender: SenderWorker;
  ledger: SendLedger;
  metrics: ReturnType<typeof createMemoryMetrics>;
  results: EventOf<"outbound.result">["data"][];
  dlq: EventOf<"dlq">["data"][];
  logs: Record<string, unknown>[];
  request(
    data: Partial<OutboundRequestData> & Pick<OutboundRequestData, "message">,
    user?: string,
  ): Promise<FlankEvent>;
  /** Opens the 24-hour window for a user (the router's lastInboundAt). */
  openWindow(user?: string, at?: Date): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The sender's waits, held until a test lets them go, on a clock that moves only when they do:
 * what it waits for and in which order is asserted without real time. `auto` lets every wait pass
 * at once (still recorded, and still moving the clock).
 */
export interface HeldWaits {
  sleep(ms: number): Promise<void>;
  /** The harness's clock (sender, ledger, pacing): it stands still but for the waits let go. */
  now(): number;
  /** Every wait asked for, in order. */
  asked: number[];
  /** Waits not let go yet. */
  readonly pending: number;
  /** Lets the oldest pending wait go, moving the clock by its length. */
  release(): void;
}

export function heldWaits(opts: { auto?: boolean } = {}): HeldWaits {
  const held: { ms: number; resolve: () => void }[] = [];
  const asked: number[] = [];
  let offset = 0;
  const start = Date.now();
  return {
    sleep(ms) {
      asked.push(ms);
      if (opts.auto) {
        offset += ms;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => held.push({ ms, resolve }));
    },
    now: () => start + offset,
    asked,
    get pending() {
      return held.length;
    },
    release() {
      const next = held.shift();
      if (!next) return;
      offset += next.ms;
      next.resolve();
    },
  };
}

export async function startSenderHarness(
  options: Partial<SenderOptions> = {},
  extra: {
    graph?: GraphTestServer;
    ledger?: SendLedger;
    bus?: Bus;
    stores?: Stores;
    tenants?: TenantLookup;
    waits?: HeldWaits;
  } = {},
): Promise<SenderHarness> {
  const { log, lines: logs } = captureLog("debug");
  const bus = extra.bus ?? createMemoryBus(log, { partitions: 2, retryBaseDelayMs: 10, retryMaxDelayMs: 50 });
  const stores = extra.stores ?? createMemoryStores();
  const graph = extra.graph ?? (await startGraphServer());
  const now = extra.waits?.now ?? Date.now;
  const ledger = extra.ledger ?? new MemorySendLedger(60_000, now);
  const cache = new MemorySessionCache(3600);
  const metrics = createMemoryMetrics();
  const integrations = createIntegrationService({
    store: stores.integrations,
    keyring: createKeyring({ current: TEST_ENCRYPTION_KEY }),
    log,
  });
  const sender = new SenderWorker({
    bus,
    stores,
    cache,
    tenants:
      extra.tenants ??
      tenantLookupFrom(integrations, { store: stores.integrations, fallbackToken: CONFIG_TOKEN }),
    graph: createGraphClient({ base: graph.base, timeoutMs: 500 }),
    limiter: new MemoryTokenBuckets(now),
    ledger,
    metrics,
    log,
    random: () => 0,
    now,
    ...(extra.waits ? { sleep: extra.waits.sleep } : {}),
    options: {
      pacing: { perNumberRate: 80, perRecipientRate: 1 / 6, perRecipientBurst: 10 },
      retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 10, maxAttempts: 4 },
      leaseMs: 5000,
      ...options,
    },
  });
  const results: EventOf<"outbound.result">["data"][] = [];
  const dlq: EventOf<"dlq">["data"][] = [];
  const watchers = [
    // Results are on the taps only (sender-worker.ts publishResult).
    await bus.tap(
      "flank.outbound.result",
      (e) => void (e.type === "outbound.result" && results.push(e.data)),
    ),
    await bus.consume({
      topic: "dlq",
      group: "test",
      handler: async (e) => void (e.type === "dlq" && dlq.push(e.data)),
    }),
  ];
  await sender.start();
  let n = 0;
  return {
    bus,
    stores,
    cache,
    integrations,
    graph,
    sender,
    ledger,
    metrics,
    results,
    dlq,
    logs,
    async request(data, user = USER) {
      const event = createEvent({
        type: "outbound.request",
        tenant: TENANT,
        conversationId: `${TENANT}:${user}`,
        data: { idempotencyKey: `k-${Date.now()}-${n++}`, to: user, source: "api", ...data },
      });
      await bus.publish(event);
      return event;
    },
    async openWindow(user = USER, at = new Date()) {
      const id = `${TENANT}:${user}`;
      const current = await stores.conversations.get(id);
      await stores.conversations.save(
        { id, tenant: TENANT, user, waId: user, stage: null, route: "bot", lastInboundAt: at.toISOString() },
        current?.version ?? 0,
      );
    },
    async stop() {
      await sender.stop(2000);
      for (const w of watchers) await w.close({ timeoutMs: 1000 });
      if (!extra.bus) await bus.close({ timeoutMs: 1000 });
      if (!extra.graph) await graph.stop();
    },
  };
}
