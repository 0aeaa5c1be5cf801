import { type Bus, type Consumer, type HandlerContext, type Wait, waitInPlace } from "@flank/shared/bus";
import {
  type ConversationRoutedData,
  createEvent,
  type EventOf,
  type FlankEvent,
  GROUPS,
  type InboundMessageData,
  type OutboundMessage,
} from "@flank/shared/contract";
import type { FlowRegistry, Stage } from "@flank/shared/flows";
import type { Logger } from "@flank/shared/log";
import type { UserStore } from "@flank/shared/store";
import { Semaphore } from "@flank/shared/util";
import type { MemoryKeeper, MemoryState } from "./memory-keeper.js";
import type { ResponderMetrics } from "./metrics.js";
import { type ChatModel, modelFailureReason } from "./openai-composer.js";
import { buildPrompt, type ChatMessage, type UserProfile } from "./prompt.js";
import type { Receipts } from "./receipts.js";
import { inboundText, replyMessage, scriptedReply } from "./reply.js";
import type { ImageInput } from "./vision.js";

export interface BotWorkerOptions {
  fallbackReply: string;
  historyMessages: number;
  historyTokenBudget: number;
  markRead: boolean;
  typingIndicator: boolean;
  /** Quote the user's message in the reply (context.message_id); off by default, as chats rarely need it. */
  quoteInbound?: boolean;
  /**
   * `combine` (default): messages that arrived while the previous reply was composed are answered
   * together in one reply; `each`: one reply per message.
   */
  burstMode?: "combine" | "each";
  /** Wait this long for more messages before composing (combine only; 0 = no added wait). */
  burstWaitMs?: number;
  /** Re-send the typing indicator this often while a model call runs (Meta's lasts 25 s). */
  typingRefreshMs?: number;
  /** Model calls at once (MODEL_MAX_IN_FLIGHT). */
  modelMaxInFlight?: number;
}

export interface BotWorkerDeps {
  bus: Bus;
  flows: FlowRegistry;
  memory: MemoryKeeper;
  users?: Pick<UserStore, "find">;
  /** Undefined in offline mode (no OPENAI_API_KEY): replies come from the stage's script. */
  model?: ChatModel;
  /** Read receipts and typing indicators, out of band; none sent when left out. */
  receipts?: Receipts;
  /** VISION: a message's stored image for the model (vision.ts); text only when left out. */
  images?: ImageInput;
  metrics: ResponderMetrics;
  log: Logger;
  options: BotWorkerOptions;
  now?: () => number;
}

/** Deterministic keys: the sender's ledger sends one reply per key, however often it is requested. */
export const replyKey = (wamid: string) => `bot:${wamid}`;

type Routed = EventOf<"conversation.routed">;

/** What a reply needs before the model (BotWorker.plan): a prompt for the model, or the script's reply. */
type Plan = { stage: Stage; state: MemoryState; texts: string[] } & (
  | { model: ChatModel; prompt: ChatMessage[] }
  | { scripted: string }
);

/** Text the bot answers in a routed event, or undefined (another route, a reaction, a system message). */
function answerable(event: FlankEvent): string | undefined {
  if (event.type !== "conversation.routed" || event.data.route !== "bot") return undefined;
  return inboundText(event.data.message);
}

/**
 * The messages one reply answers: the event being handled and, when combining, the routed
 * messages queued right behind it that the bot would answer too (stopping at the first it would
 * not, such as a handoff, so routing changes keep their place).
 */
export function burstOf(head: Routed, queued: readonly FlankEvent[], mode: "combine" | "each"): Routed[] {
  const burst = [head];
  if (mode === "each") return burst;
  for (const event of queued) {
    if (answerable(event) === undefined) break;
    burst.push(event as Routed);
  }
  return burst;
}

/** Consumes `conversation.routed` and, for route "bot", composes a reply as an `outbound.request`. */
export class BotWorker {
  private consumer: Consumer | undefined;
  private readonly now: () => number;
  private readonly modelSlots: Semaphore;

  constructor(private readonly deps: BotWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.modelSlots = new Semaphore(deps.options.modelMaxInFlight ?? 1000);
  }

  async start(): Promise<void> {
    this.consumer = await this.deps.bus.consume({
      topic: "conversation.routed",
      group: GROUPS.responder,
      handler: (event, ctx) => this.handle(event, ctx),
    });
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    await this.consumer?.close({ timeoutMs });
    // Summaries still running get as long again; one left unfinished is scheduled at the next exchange.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.deps.memory.settled(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async handle(
    event: FlankEvent,
    ctx?: Pick<HandlerContext, "attempt" | "queued" | "absorb"> & Partial<Pick<HandlerContext, "wait">>,
  ): Promise<void> {
    if (event.type !== "conversation.routed" || event.data.route !== "bot") return;
    const log = this.deps.log.child({
      eventId: event.id,
      conversationId: event.conversationId,
      wamid: event.data.message.wamid,
    });
    if (answerable(event) === undefined) {
      log.debug({ type: event.data.message.type }, "nothing to answer");
      return;
    }
    const address = addressOf(event.data.message);
    if (!address) {
      log.warn("inbound message has neither wa_id nor BSUID; cannot reply");
      return;
    }
    const { options } = this.deps;
    // A redelivery is answered alone: its reply may have gone out before a crash under its own
    // key, and combining it with the messages behind it would skip them as that duplicate.
    const mode = (ctx?.attempt ?? 1) > 1 ? "each" : (options.burstMode ?? "combine");
    // Waits outside the process (the burst wait, the model) lend the handler's slot to others.
    const wait = ctx?.wait ?? waitInPlace;
    if (mode === "combine" && (options.burstWaitMs ?? 0) > 0) await wait(sleep(options.burstWaitMs ?? 0));
    const burst = burstOf(event, ctx?.queued() ?? [], mode);
    ctx?.absorb(burst.length - 1);
    await this.reply(burst, address, log, wait);
  }

  /** One reply to the burst's messages (oldest first), in the stage the last one was routed to. */
  private async reply(
    burst: readonly Routed[],
    address: { to?: string; recipient?: string; recipientType?: "group" },
    log: Logger,
    wait: Wait,
  ): Promise<void> {
    const started = this.now();
    const first = burst[0] as Routed;
    const last = burst[burst.length - 1] as Routed;
    const planned = await this.plan(burst, log);
    if (!planned) return;
    const { stage, state, texts } = planned;
    const { options } = this.deps;

    let reply: string;
    let mode: "model" | "offline" | "fallback";
    if ("prompt" in planned) {
      const { model, prompt } = planned;
      const typing = this.keepTyping(last);
      try {
        reply = await wait(this.modelSlots.run(() => model.complete(prompt)));
        mode = "model";
      } catch (err) {
        // The user is never left in silence: the configured fallback goes out instead.
        const reason = modelFailureReason(err);
        this.deps.metrics.modelFailures.inc({ reason });
        log.error({ err, reason }, "model call failed; sending the fallback reply");
        reply = options.fallbackReply;
        mode = "fallback";
      } finally {
        clearInterval(typing);
      }
    } else {
      reply = planned.scripted;
      mode = "offline";
    }
    this.deps.metrics.replies.inc({ mode });

    const wamids = burst.map((e) => e.data.message.wamid);
    await this.publish(
      first,
      address,
      replyMessage(reply, stage.options),
      options.quoteInbound ? last.data.message.wamid : undefined,
      wamids,
    );
    const at = new Date(this.now()).toISOString();
    await this.deps.memory.record(
      first.conversationId,
      [
        ...burst.map((e, i) => ({
          role: "user" as const,
          text: texts[i] ?? "",
          at: e.data.message.timestamp || at,
          id: e.data.message.wamid,
        })),
        { role: "assistant", text: reply, at },
      ],
      state,
    );
    // Per message: debug (docs/operations.md "Logs"); the metrics count replies by mode.
    log.debug(
      { mode, stage: last.data.stageAfter, answers: wamids.length, durationMs: this.now() - started },
      "reply composed",
    );
  }

  /**
   * What the reply needs before the model: the stage, the prompt (or the offline script's reply),
   * the memory state; undefined when the history shows the burst answered already. Its own call, so
   * the session's turns it reads are garbage once it returns: replies wait seconds on the model,
   * and a thousand in flight held every turn's text (docs/benchmarks.md "Memory a reply holds").
   */
  private async plan(burst: readonly Routed[], log: Logger): Promise<Plan | undefined> {
    const first = burst[0] as Routed;
    const last = burst[burst.length - 1] as Routed;
    const { data } = last;
    const texts = burst.map((e) => answerable(e) ?? "");
    const flow = this.deps.flows.resolve(data.flowId);
    const stage = flow.stages[data.stageAfter] ?? flow.stages[flow.initialStage];
    if (!stage) throw new Error(`flow ${flow.id} has no stage ${data.stageAfter}`);
    const idleMs = flow.idleTimeoutMinutes * 60_000;
    const { options } = this.deps;
    // The newest message is marked read, with the typing indicator: Meta marks the earlier ones in
    // the thread read with it (docs/whatsapp-contract.md). The memory read goes alongside.
    const [, { summary, session, turns, state }] = await Promise.all([
      this.markRead(burst, options.markRead && options.typingIndicator),
      this.deps.memory.prepare(first.conversationId, idleMs, options.historyMessages),
    ]);
    // A redelivery of messages already answered (a crash after the reply was recorded, before the
    // ack): the history says so, and neither the model nor the sender is asked again.
    const recorded = (wamid: string) => turns.some((t) => t.role === "user" && t.id === wamid);
    if (burst.every((e) => recorded(e.data.message.wamid))) {
      log.info("already answered (the session history has it); skipped");
      return undefined;
    }
    const { model } = this.deps;
    if (!model) return { stage, state, texts, scripted: scriptedReply(stage.replies, session) };
    const images = await this.imagesOf(burst, log);
    const prompt = buildPrompt({
      ...(flow.systemPrompt ? { flowPrompt: flow.systemPrompt } : {}),
      stage,
      ...(summary ? { summary } : {}),
      profile: await this.profile(first.tenant, data.message),
      history: session,
      messages: texts,
      ...(images ? { images } : {}),
      maxHistory: options.historyMessages,
      tokenBudget: options.historyTokenBudget,
    });
    return { stage, state, texts, model, prompt };
  }

  /** The burst's images (VISION); an image that cannot be read is left out, its caption still sent. */
  private async imagesOf(burst: readonly Routed[], log: Logger): Promise<(string | undefined)[] | undefined> {
    const images = this.deps.images;
    if (!images) return undefined;
    return Promise.all(
      burst.map((e) =>
        images(e.tenant, e.data.message).catch((err: unknown) => {
          log.warn({ err, mediaId: e.data.message.media?.id }, "image not read; caption only");
          return undefined;
        }),
      ),
    );
  }

  private async markRead(burst: readonly Routed[], typing: boolean): Promise<void> {
    const { receipts, options } = this.deps;
    const newest = burst[burst.length - 1];
    if (!receipts || !options.markRead || !newest) return;
    await receipts.markRead(newest, { typing });
  }

  /** Meta's typing indicator lasts 25 s: refreshed while the model runs, stopped before the reply. */
  private keepTyping(last: Routed): NodeJS.Timeout | undefined {
    const { receipts, options } = this.deps;
    if (!receipts || !options.markRead || !options.typingIndicator) return undefined;
    return setInterval(
      () => void receipts.markRead(last, { typing: true }),
      options.typingRefreshMs ?? 20_000,
    );
  }

  private async profile(tenant: string, message: InboundMessageData): Promise<UserProfile> {
    const user = await this.deps.users
      ?.find(tenant, {
        ...(message.from ? { waId: message.from } : {}),
        ...(message.userId ? { userId: message.userId } : {}),
      })
      .catch(() => undefined);
    const name = user?.profileName ?? message.profileName;
    const username = user?.username ?? message.username;
    return {
      ...(name ? { name } : {}),
      ...(username ? { username } : {}),
      ...(user?.metadata ? { facts: user.metadata } : {}),
    };
  }

  /**
   * The reply as an `outbound.request` keyed by the burst's first message. No bus dedup key: the
   * sender's ledger already sends a key at most once, so a second request with the same key (a
   * crash between publishing and recording the reply) is answered "already handled". A dedup key
   * here was one more Redis write a reply for nothing.
   */
  private async publish(
    cause: Routed,
    address: { to?: string; recipient?: string; recipientType?: "group" },
    message: OutboundMessage,
    replyTo: string | undefined,
    answers: string[],
  ): Promise<void> {
    const key = replyKey(cause.data.message.wamid);
    const request = createEvent({
      type: "outbound.request",
      tenant: cause.tenant,
      conversationId: cause.conversationId,
      data: {
        idempotencyKey: key,
        ...address,
        message,
        source: "bot",
        answers,
        ...(replyTo ? { replyTo } : {}),
      },
    });
    await this.deps.bus.publish(request);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Where a reply goes: the group for a group message (never its sender privately), else the user. */
function addressOf(
  message: ConversationRoutedData["message"],
): { to?: string; recipient?: string; recipientType?: "group" } | undefined {
  if (message.groupId) return { to: message.groupId, recipientType: "group" };
  if (message.from) return { to: message.from };
  if (message.userId) return { recipient: message.userId };
  return undefined;
}
