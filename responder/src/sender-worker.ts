import {
  type Bus,
  type Consumer,
  createEvent,
  decodeEvent,
  type EventOf,
  type FlankEvent,
  GROUPS,
  type Integration,
  type Logger,
  newId,
  type OutboundMessage,
  type OutboundResultData,
  SecretError,
  type SessionCache,
  type Stores,
  type TokenBuckets,
} from "@flank/shared";
import type { DelayQueue } from "./delay-queue.js";
import { classifyFailure } from "./error-classifier.js";
import { needsOpenWindow, toGraphBody } from "./graph-body.js";
import type { GraphClient } from "./graph-client.js";
import type { ResponderMetrics } from "./metrics.js";
import { OpenWindows } from "./open-windows.js";
import { checkBeforeSend } from "./pre-send-check.js";
import { bucketsFor, numberBucketKey, type PacingOptions, recipientBucketKey } from "./rate-limiter.js";
import { nextRetryDelay, type RetryPolicyOptions } from "./retry-policy.js";
import type { SendLedger } from "./send-ledger.js";
import { type SendContext, storedOutbound, type Templates, windowOpen } from "./send-steps.js";

/** What the sender needs of a business number: its decrypted token, fallback template and WABA. */
export interface TenantCredentials {
  accessToken: string;
  templateFallback?: Integration["templateFallback"];
  wabaId?: string;
}

/**
 * The credentials of a business number (`tenantLookupFrom` in index.ts builds it from the
 * IntegrationService): undefined when it has no enabled integration; throws SecretError when
 * its stored secrets cannot be decrypted, anything else when the store is down.
 */
export type TenantLookup = (phoneNumberId: string) => Promise<TenantCredentials | undefined>;

export interface SenderOptions {
  pacing: PacingOptions;
  retry: RetryPolicyOptions;
  /**
   * Waits up to this long (pacing or a retry) happen inside the handler; longer ones go to the
   * delay queue. A bus partition acks a batch only when every conversation in it is done, so a
   * long sleep here would hold up other users' replies; a short one is cheaper than a round trip.
   */
  inlineRetryMaxMs: number;
  /** How long a claimed key stays ours: longer than a send with its inline waits. */
  leaseMs: number;
  /** Delay queue polling interval. */
  pollMs?: number;
  /** Conversations whose open 24-hour window is remembered in process (default 10,000). */
  openWindowsKept?: number;
  concurrency?: number;
}

export interface SenderDeps {
  bus: Bus;
  stores: Pick<Stores, "conversations" | "messages" | "users" | "templates">;
  /**
   * The router's conversation snapshots (Redis when configured), read first for the 24-hour
   * window: `stores.conversations` may be another process's memory store.
   */
  cache?: Pick<SessionCache, "getConversation">;
  tenants: TenantLookup;
  graph: GraphClient;
  limiter: TokenBuckets;
  ledger: SendLedger;
  delays: DelayQueue;
  metrics: ResponderMetrics;
  log: Logger;
  options: SenderOptions;
  now?: () => number;
  random?: () => number;
}

type Request = EventOf<"outbound.request">;
const BUSY_RECHECK_MS = 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Consumes `outbound.request` (group "sender") and delivers it through the Graph API: window
 * check, pacing, idempotency, retries by error code, and one `outbound.result` per outcome.
 */
export class SenderWorker {
  private readonly owner = newId();
  private readonly now: () => number;
  /** Windows read open before: most replies go to a conversation whose window is known open. */
  private readonly windows: OpenWindows;
  private consumer: Consumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: SenderDeps) {
    this.now = deps.now ?? Date.now;
    this.windows = new OpenWindows(deps.options.openWindowsKept);
  }

  async start(): Promise<void> {
    this.consumer = await this.deps.bus.consume({
      topic: "outbound.request",
      group: GROUPS.sender,
      concurrency: this.deps.options.concurrency ?? 64,
      handler: (event) => this.handle(event),
    });
    this.timer = setInterval(() => void this.pump(), this.deps.options.pollMs ?? 250);
    this.timer.unref();
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.pumping;
    await this.consumer?.close({ timeoutMs });
  }

  /** Re-publishes requests whose wait is over. */
  pump(): Promise<void> {
    if (this.pumping || this.stopped) return this.pumping ?? Promise.resolve();
    this.pumping = (async () => {
      const due = await this.deps.delays.due(100, Math.max(5000, this.deps.options.leaseMs));
      for (const raw of due) {
        const decoded = decodeEvent(raw);
        if (decoded.ok) await this.deps.bus.publish(decoded.event);
        else this.deps.log.error({ error: decoded.error }, "bad delayed request dropped");
        await this.deps.delays.ack(raw);
      }
    })()
      .catch((err) => this.deps.log.warn({ err }, "delay queue poll failed"))
      .finally(() => {
        this.pumping = undefined;
      });
    return this.pumping;
  }

  async handle(event: FlankEvent): Promise<void> {
    if (event.type !== "outbound.request") return;
    const key = event.data.idempotencyKey;
    const log = this.deps.log.child({
      eventId: event.id,
      conversationId: event.conversationId,
      idempotencyKey: key,
    });
    const claim = await this.deps.ledger.claim(key, this.owner, this.deps.options.leaseMs);
    switch (claim.kind) {
      case "done":
        // Redelivered or duplicated: never send twice, just repeat what happened.
        log.info({ status: claim.result.status }, "already handled; result republished");
        await this.publishResult(event, claim.result);
        return;
      case "early":
        log.debug({ retryInMs: claim.retryInMs }, "a retry is already scheduled; duplicate dropped");
        return;
      case "busy":
        // Another instance is sending it, or died doing so: look again soon (then it is done and
        // the result is republished) or at the latest when its lease ends.
        await this.later(event, Math.min(claim.retryInMs + 100, BUSY_RECHECK_MS));
        return;
      case "claimed": {
        const ctx: SendContext = { event, attempts: claim.attempts, accepted: false, log };
        try {
          await this.deliver(ctx);
        } catch (err) {
          // Stores or bus failed: free the key (unless Meta took the message) so the bus's
          // redelivery can claim it again at once, then let the bus retry.
          if (!ctx.accepted) await this.deps.ledger.defer(key, ctx.attempts, 0).catch(() => undefined);
          throw err;
        }
      }
    }
  }

  private async deliver(ctx: SendContext): Promise<void> {
    const { event, log } = ctx;
    const req = event.data;
    const { stores, options } = this.deps;
    if (ctx.attempts === 0 && req.message.type !== "read") {
      await stores.messages.insert(storedOutbound(event, new Date(this.now()).toISOString()));
    }
    let tenant: TenantCredentials | undefined;
    try {
      tenant = await this.deps.tenants(event.tenant);
    } catch (err) {
      // A wrong or missing ENCRYPTION_KEY: retrying will not help until an operator fixes it.
      if (!(err instanceof SecretError)) throw err;
      return this.fail(
        ctx,
        { code: -1, title: "the business number's stored secrets cannot be decrypted" },
        "secret_unreadable",
        true,
      );
    }
    const token = tenant?.accessToken;
    if (!token) {
      return this.fail(
        ctx,
        { code: -1, title: "no access token for this business number" },
        "no_token",
        true,
      );
    }
    const templates: Templates = { fallback: tenant?.templateFallback };
    let message: OutboundMessage = req.message;
    if (needsOpenWindow(message) && !(await this.windowOpen(event.conversationId))) {
      const template = templateOf(templates);
      if (!template) return this.fail(ctx, windowError(), "window_closed");
      log.info({ template: template.name }, "24-hour window closed; sending the fallback template");
      message = template;
    }
    const recipient = req.to ?? req.recipient;
    for (;;) {
      const wait = await this.deps.limiter.take(
        bucketsFor(options.pacing, event.tenant, recipient, message.type !== "read"),
      );
      if (wait > 0) {
        if (wait <= options.inlineRetryMaxMs) {
          await sleep(wait);
          continue;
        }
        this.deps.metrics.sends.inc({ outcome: "paced", reason: "rate_limit" });
        return this.defer(ctx, wait);
      }
      const refused = await checkBeforeSend(stores, {
        tenant: event.tenant,
        ...(tenant?.wabaId ? { wabaId: tenant.wabaId } : {}),
        request: req,
        message,
        fallback: message !== req.message,
      });
      if (refused) return this.fail(ctx, refused.error, refused.reason, refused.alert);
      ctx.attempts++;
      const result = await this.deps.graph.send(event.tenant, token, toGraphBody({ ...req, message }));
      if (result.ok) {
        ctx.accepted = true;
        return this.succeed(ctx, message, result.body, result.wamid);
      }
      const action = classifyFailure(result.failure);
      log.warn({ attempt: ctx.attempts, code: result.error.code, action }, "Graph API send failed");
      if (action.action === "template") {
        const template = templateOf(templates);
        if (message.type !== "template" && template) {
          message = template;
          continue;
        }
        return this.fail(ctx, result.error, "window_closed", false, result.body);
      }
      if (action.action === "fail")
        return this.fail(ctx, result.error, action.reason, action.alert, result.body);
      const delay = nextRetryDelay(action, ctx.attempts, options.retry, this.deps.random);
      if (delay === undefined)
        return this.fail(ctx, result.error, `${action.reason}_retries_exhausted`, false, result.body);
      this.deps.metrics.sends.inc({ outcome: "retry", reason: action.reason });
      // Meta's limits are shared: a throttled number or pair pauses every request to it.
      if (action.scope === "number") await this.deps.limiter.block(numberBucketKey(event.tenant), delay);
      if (action.scope === "recipient" && recipient) {
        await this.deps.limiter.block(recipientBucketKey(event.tenant, recipient), delay);
      }
      if (delay <= options.inlineRetryMaxMs) {
        if (action.scope === "request") await sleep(delay);
        continue; // a blocked bucket makes take() do the waiting
      }
      await this.publishResult(event, {
        idempotencyKey: req.idempotencyKey,
        status: "failed",
        ...(recipient ? { to: recipient } : {}),
        error: { ...result.error, retryable: true, reason: action.reason },
        attempts: ctx.attempts,
        final: false,
      });
      return this.defer(ctx, delay);
    }
  }

  /** Known open (no read), else read the cache first (a miss or a Redis error falls back to the store). */
  private async windowOpen(conversationId: string): Promise<boolean> {
    if (this.windows.isOpen(conversationId, this.now())) return true;
    const cached = await this.deps.cache?.getConversation(conversationId).catch((err: unknown) => {
      this.deps.log.warn({ err, conversationId }, "session cache unavailable; reading the store");
      return undefined;
    });
    const last = (cached ?? (await this.deps.stores.conversations.get(conversationId)))?.lastInboundAt;
    const now = this.now();
    this.windows.note(conversationId, last, now);
    return windowOpen(last, now);
  }

  /** Park the request: the ledger remembers the attempts, the delay queue brings it back. */
  private async defer(ctx: SendContext, delayMs: number): Promise<void> {
    await this.deps.ledger.defer(ctx.event.data.idempotencyKey, ctx.attempts, delayMs);
    await this.later(ctx.event, delayMs);
    ctx.log.info({ delayMs, attempts: ctx.attempts }, "send deferred");
  }

  private async later(event: Request, delayMs: number): Promise<void> {
    const copy = createEvent({
      type: "outbound.request",
      tenant: event.tenant,
      conversationId: event.conversationId,
      data: event.data,
    });
    await this.deps.delays.schedule(JSON.stringify(copy), delayMs);
  }

  private async succeed(ctx: SendContext, message: OutboundMessage, response: unknown, wamid?: string) {
    const req = ctx.event.data;
    const recipient = req.to ?? req.recipient;
    const result: OutboundResultData = {
      idempotencyKey: req.idempotencyKey,
      status: "sent",
      ...(wamid ? { wamid } : {}),
      ...(recipient ? { to: recipient } : {}),
      attempts: ctx.attempts,
      final: true,
      response,
    };
    // The ledger first: until it holds the result, a crash here is the one duplicate window.
    await retrying(() => this.deps.ledger.finish(req.idempotencyKey, result));
    if (wamid && message.type !== "read") await this.deps.stores.messages.setWamid(req.idempotencyKey, wamid);
    await this.publishResult(ctx.event, result);
    this.deps.metrics.sends.inc({ outcome: "sent", reason: message.type });
    ctx.log.info({ wamid, attempts: ctx.attempts, type: message.type, source: req.source }, "message sent");
  }

  private async fail(
    ctx: SendContext,
    error: { code: number; title?: string; message?: string; details?: string },
    reason: string,
    alert = false,
    response?: unknown,
  ): Promise<void> {
    const { event } = ctx;
    const req = event.data;
    const recipient = req.to ?? req.recipient;
    const result: OutboundResultData = {
      idempotencyKey: req.idempotencyKey,
      status: "failed",
      ...(recipient ? { to: recipient } : {}),
      error: { ...error, retryable: false, reason },
      attempts: ctx.attempts,
      final: true,
      ...(response === undefined ? {} : { response }),
    };
    await this.deps.ledger.finish(req.idempotencyKey, result);
    await this.publishResult(event, result);
    await this.deps.bus.publish(
      createEvent({
        type: "dlq",
        tenant: event.tenant,
        conversationId: event.conversationId,
        data: {
          event,
          topic: "outbound.request",
          group: GROUPS.sender,
          attempts: ctx.attempts,
          error: `${reason}: ${error.message ?? error.title ?? `code ${error.code}`}`,
        },
      }),
    );
    this.deps.metrics.sends.inc({ outcome: "failed", reason });
    const fields = {
      reason,
      code: error.code,
      attempts: ctx.attempts,
      type: req.message.type,
      source: req.source,
    };
    if (alert) ctx.log.error({ ...fields, alert: true }, "send failed: fix the configuration");
    else ctx.log.warn(fields, "send failed");
  }

  private async publishResult(cause: Request, data: OutboundResultData): Promise<void> {
    await this.deps.bus.publish(
      createEvent({
        type: "outbound.result",
        tenant: cause.tenant,
        conversationId: cause.conversationId,
        data,
      }),
    );
  }
}

function templateOf(templates: Templates): Extract<OutboundMessage, { type: "template" }> | undefined {
  const t = templates.fallback;
  return t
    ? {
        type: "template",
        name: t.name,
        language: t.language,
        ...(t.components ? { components: t.components } : {}),
      }
    : undefined;
}

const windowError = () => ({
  code: 131047,
  title: "24-hour window closed",
  message: "More than 24 hours have passed since the user's last message; no fallback template is configured",
});

async function retrying(step: () => Promise<void>, tries = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (err) {
      if (i >= tries) throw err;
      await sleep(50 * i);
    }
  }
}
