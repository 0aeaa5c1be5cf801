import { type Bus, type Consumer, type HandlerContext, waitInPlace } from "@flank/shared/bus";
import {
  createEvent,
  type EventOf,
  type FlankEvent,
  GROUPS,
  newId,
  type OutboundMessage,
  type OutboundResultData,
} from "@flank/shared/contract";
import { SecretError } from "@flank/shared/crypto";
import type { Logger } from "@flank/shared/log";
import type { TokenBuckets } from "@flank/shared/rate-limit";
import type { Integration, SessionCache, Stores } from "@flank/shared/store";
import { mayDeliver, needsOpenWindow } from "@flank/shared/whatsapp";
import { classifyFailure } from "./error-classifier.js";
import { toGraphBody } from "./graph-body.js";
import type { GraphClient } from "./graph-client.js";
import type { ResponderMetrics } from "./metrics.js";
import { OpenWindows } from "./open-windows.js";
import { checkBeforeSend } from "./pre-send-check.js";
import { bucketsFor, numberBucketKey, type PacingOptions, recipientBucketKey } from "./rate-limiter.js";
import { nextRetryDelay, type RetryPolicyOptions } from "./retry-policy.js";
import type { SendLedger } from "./send-ledger.js";
import { type SendContext, storedOutbound, type Templates } from "./send-steps.js";

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
   * How long a claimed key stays ours unless renewed: renewed while a Graph API call runs, and
   * longer than a short unrecorded wait. After a crash, the next holder may send once it lapses.
   */
  leaseMs: number;
  /** Conversations whose open 24-hour window is remembered in process (default 10,000). */
  openWindowsKept?: number;
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
  metrics: ResponderMetrics;
  log: Logger;
  options: SenderOptions;
  now?: () => number;
  random?: () => number;
  /** Waits (pacing, retries); fake timers replace it in tests. */
  sleep?: (ms: number) => Promise<void>;
}

type Request = EventOf<"outbound.request">;
const BUSY_RECHECK_MS = 1000;
/** Waits longer than this are written to the send ledger first, so a crash resumes them. */
const RECORDED_WAIT_MS = 1000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Consumes `outbound.request` (group "sender") and delivers it through the Graph API: window
 * check, pacing, idempotency, retries by error code, and one `outbound.result` per outcome.
 *
 * Order (docs/architecture.md "Replies in order"). The bus hands this worker one conversation's
 * requests one at a time, in publish order, and goes on with other conversations meanwhile. So
 * every wait (pacing, a retry's backoff, Meta's rate limits) happens here, in the handler: the
 * request keeps its place and the conversation's later messages wait behind it, while nobody
 * else does. A wait longer than a second is recorded in the send ledger first, so a crash mid-wait
 * resumes it (the next holder finds the key "early" and waits out the rest).
 */
export class SenderWorker {
  private readonly owner = newId();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Windows read open before: most replies go to a conversation whose window is known open. */
  private readonly windows: OpenWindows;
  private consumer: Consumer | undefined;

  constructor(private readonly deps: SenderDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? sleep;
    this.windows = new OpenWindows(deps.options.openWindowsKept);
  }

  async start(): Promise<void> {
    this.consumer = await this.deps.bus.consume({
      topic: "outbound.request",
      group: GROUPS.sender,
      handler: (event, ctx) => this.handle(event, ctx),
    });
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    await this.consumer?.close({ timeoutMs });
  }

  async handle(event: FlankEvent, slot?: Pick<HandlerContext, "wait">): Promise<void> {
    if (event.type !== "outbound.request") return;
    // Waits in place lend the handler's slot to other conversations' sends.
    const lend = slot?.wait ?? waitInPlace;
    const key = event.data.idempotencyKey;
    const log = this.deps.log.child({
      eventId: event.id,
      conversationId: event.conversationId,
      idempotencyKey: key,
    });
    for (;;) {
      const claim = await this.deps.ledger.claim(key, this.owner, this.deps.options.leaseMs);
      switch (claim.kind) {
        case "done":
          // Redelivered or duplicated: never send twice, just repeat what happened.
          log.info({ status: claim.result.status }, "already handled; result republished");
          await this.publishResult(event, claim.result);
          return;
        case "early":
          // A wait recorded before a crash or a handover: wait out the rest, keeping the place.
          log.info({ retryInMs: claim.retryInMs }, "resuming a recorded wait");
          await lend(this.sleep(claim.retryInMs));
          continue;
        case "busy":
          // Another instance is sending it (a partition handover), or died doing so: look again
          // soon (then it is done and the result is republished) or at the latest when its lease ends.
          await lend(this.sleep(Math.min(claim.retryInMs + 100, BUSY_RECHECK_MS)));
          continue;
        case "claimed": {
          const ctx: SendContext = { event, attempts: claim.attempts, accepted: false, log, lend };
          try {
            if (await this.deliver(ctx)) return;
          } catch (err) {
            // Stores or bus failed: free the key (unless Meta took the message) so the bus's
            // retry can claim it again at once, then let the bus retry.
            if (!ctx.accepted) await this.deps.ledger.defer(key, ctx.attempts, 0).catch(() => undefined);
            throw err;
          }
        }
      }
    }
  }

  /** Delivers a claimed request; false when the key stopped being ours during a wait (claim again). */
  private async deliver(ctx: SendContext): Promise<boolean> {
    const { event, log } = ctx;
    const req = event.data;
    const { stores, options } = this.deps;
    if (ctx.attempts === 0 && req.message.type !== "read") {
      const stored = await stores.messages.insert(storedOutbound(event, new Date(this.now()).toISOString()));
      // Stored before with Meta's wamid, yet unknown to the ledger: a Redis crash lost the ledger's
      // record and the acknowledgement (its last second with appendfsync everysec). Meta has it:
      // recorded again, not sent twice. Only a key stored before costs the read.
      const wamid = stored ? undefined : (await stores.messages.get(req.idempotencyKey))?.wamid;
      if (wamid) {
        log.warn(
          { wamid },
          "already accepted by Meta (the store has its wamid, the ledger had lost it): not sent again",
        );
        await this.recordSent(ctx, req.message, wamid);
        return true;
      }
    }
    let tenant: TenantCredentials | undefined;
    try {
      tenant = await this.deps.tenants(event.tenant);
    } catch (err) {
      // A wrong or missing ENCRYPTION_KEY: retrying will not help until an operator fixes it.
      if (!(err instanceof SecretError)) throw err;
      await this.fail(
        ctx,
        { code: -1, title: "the business number's stored secrets cannot be decrypted" },
        "secret_unreadable",
        true,
      );
      return true;
    }
    const token = tenant?.accessToken;
    if (!token) {
      await this.fail(ctx, { code: -1, title: "no access token for this business number" }, "no_token", true);
      return true;
    }
    const templates: Templates = { fallback: tenant?.templateFallback };
    let message: OutboundMessage = req.message;
    if (!(await this.mayDeliver(message, event.conversationId))) {
      const template = templateOf(templates);
      if (!template) {
        await this.fail(ctx, windowError(), "window_closed");
        return true;
      }
      log.info({ template: template.name }, "24-hour window closed; sending the fallback template");
      message = template;
    }
    const recipient = req.to ?? req.recipient;
    for (;;) {
      // Before waiting for a slot: a send that will be refused (opt-out, a paused template) waits for nothing.
      const refused = await checkBeforeSend(stores, {
        tenant: event.tenant,
        ...(tenant?.wabaId ? { wabaId: tenant.wabaId } : {}),
        request: req,
        message,
        fallback: message !== req.message,
      });
      if (refused) {
        await this.fail(ctx, refused.error, refused.reason, refused.alert);
        return true;
      }
      // A booked slot: requests queue fairly on the shared buckets instead of polling them.
      const wait = await this.deps.limiter.reserve(
        bucketsFor(options.pacing, event.tenant, recipient, message.type !== "read"),
      );
      if (wait > 0) {
        this.deps.metrics.sends.inc({ outcome: "paced", reason: "rate_limit" });
        if (!(await this.wait(ctx, wait))) return false;
      }
      ctx.attempts++;
      const result = await ctx.lend(
        this.holdingClaim(req.idempotencyKey, () =>
          this.deps.graph.send(event.tenant, token, toGraphBody({ ...req, message })),
        ),
      );
      if (result.ok) {
        ctx.accepted = true;
        await this.succeed(ctx, message, result.body, result.wamid);
        return true;
      }
      const action = classifyFailure(result.failure);
      log.warn({ attempt: ctx.attempts, code: result.error.code, action }, "Graph API send failed");
      if (action.action === "template") {
        const template = templateOf(templates);
        if (message.type !== "template" && template) {
          message = template;
          continue;
        }
        await this.fail(ctx, result.error, "window_closed", false, result.body);
        return true;
      }
      if (action.action === "fail") {
        await this.fail(ctx, result.error, action.reason, action.alert, result.body);
        return true;
      }
      const delay = nextRetryDelay(action, ctx.attempts, options.retry, this.deps.random);
      if (delay === undefined) {
        await this.fail(ctx, result.error, `${action.reason}_retries_exhausted`, false, result.body);
        return true;
      }
      this.deps.metrics.sends.inc({ outcome: "retry", reason: action.reason });
      // Meta's limits are shared: a throttled number or pair pauses every request to it, and the
      // next reservation waits for the block; a request-scoped error waits here.
      if (action.scope === "number") await this.deps.limiter.block(numberBucketKey(event.tenant), delay);
      if (action.scope === "recipient" && recipient) {
        await this.deps.limiter.block(recipientBucketKey(event.tenant, recipient), delay);
      }
      if (delay > RECORDED_WAIT_MS) {
        await this.publishResult(event, {
          idempotencyKey: req.idempotencyKey,
          status: "failed",
          ...(recipient ? { to: recipient } : {}),
          error: { ...result.error, retryable: true, reason: action.reason },
          attempts: ctx.attempts,
          final: false,
        });
      }
      if (action.scope === "request" && !(await this.wait(ctx, delay))) return false;
    }
  }

  /**
   * Runs a Graph API call while renewing the key's claim. The claim is short (the bus's claim
   * timeout), so when a sender dies mid-send the next holder waits seconds, not the longest send
   * time, before it may send; a live sender keeps it for as long as its call takes.
   */
  private async holdingClaim<T>(key: string, call: () => Promise<T>): Promise<T> {
    const { leaseMs } = this.deps.options;
    const renew = setInterval(
      () =>
        void this.deps.ledger
          .claim(key, this.owner, leaseMs)
          .catch((err: unknown) => this.deps.log.warn({ err, idempotencyKey: key }, "claim not renewed")),
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    try {
      return await call();
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * Waits in place. A long wait is recorded in the ledger first and the key claimed again after
   * it; false when meanwhile someone else holds it (the caller claims again from the top).
   */
  private async wait(ctx: SendContext, ms: number): Promise<boolean> {
    if (ms <= RECORDED_WAIT_MS) {
      await ctx.lend(this.sleep(ms));
      return true;
    }
    const key = ctx.event.data.idempotencyKey;
    await this.deps.ledger.defer(key, ctx.attempts, ms);
    ctx.log.info({ waitMs: ms, attempts: ctx.attempts }, "send waiting");
    await ctx.lend(this.sleep(ms));
    for (;;) {
      const claim = await this.deps.ledger.claim(key, this.owner, this.deps.options.leaseMs);
      if (claim.kind !== "early") return claim.kind === "claimed";
      await ctx.lend(this.sleep(claim.retryInMs)); // the ledger's clock ran a little behind ours
    }
  }

  /**
   * The window rule (mayDeliver) on the conversation's lastInboundAt: a window known open needs no
   * read, else the cache is read first (a miss or a Redis error falls back to the store).
   */
  private async mayDeliver(message: OutboundMessage, conversationId: string): Promise<boolean> {
    if (!needsOpenWindow(message) || this.windows.isOpen(conversationId, this.now())) return true;
    const cached = await this.deps.cache?.getConversation(conversationId).catch((err: unknown) => {
      this.deps.log.warn({ err, conversationId }, "session cache unavailable; reading the store");
      return undefined;
    });
    const last = (cached ?? (await this.deps.stores.conversations.get(conversationId)))?.lastInboundAt;
    const now = this.now();
    this.windows.note(conversationId, last, now);
    return mayDeliver(message, last, now);
  }

  private async succeed(ctx: SendContext, message: OutboundMessage, response: unknown, wamid?: string) {
    await this.recordSent(ctx, message, wamid, response);
    this.deps.metrics.sends.inc({ outcome: "sent", reason: message.type });
    // Per message: debug (docs/operations.md "Logs"); failures and retries stay warnings.
    const { source } = ctx.event.data;
    ctx.log.debug({ wamid, attempts: ctx.attempts, type: message.type, source }, "message sent");
  }

  /** Meta has the message: the ledger's record, the stored message's wamid, then the result. */
  private async recordSent(
    ctx: SendContext,
    message: OutboundMessage,
    wamid: string | undefined,
    response?: unknown,
  ): Promise<void> {
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
    await untilRecorded(() => this.deps.ledger.finish(req.idempotencyKey, result), ctx.log);
    if (wamid && message.type !== "read") await this.deps.stores.messages.setWamid(req.idempotencyKey, wamid);
    await this.publishResult(ctx.event, result);
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

  /**
   * On the taps only (docs/architecture.md "Events"): no Flank service consumes results from a
   * stream, and the durable record of a send is the ledger and the message's status in the store.
   */
  private async publishResult(cause: Request, data: OutboundResultData): Promise<void> {
    await this.deps.bus.announce(
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

/**
 * Meta took the message: recording that must succeed before anything else may fail, or a retry of
 * the handler would send it again. So it is tried until it works (Redis restarting, say), with a
 * backoff; only a crash meanwhile leaves the documented duplicate window.
 */
async function untilRecorded(step: () => Promise<void>, log: Logger): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (err) {
      if (i === 1) log.warn({ err }, "send accepted by Meta but not recorded yet; retrying");
      await sleep(Math.min(2000, 50 * 2 ** i));
    }
  }
}
