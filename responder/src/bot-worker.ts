import {
  type Bus,
  type Consumer,
  type ConversationRoutedData,
  createEvent,
  type FlankEvent,
  type FlowRegistry,
  GROUPS,
  type InboundMessageData,
  type Logger,
  type OutboundMessage,
  type UserStore,
} from "@flank/shared";
import type { MemoryKeeper } from "./memory-keeper.js";
import type { ResponderMetrics } from "./metrics.js";
import { type ChatModel, modelFailureReason } from "./openai-composer.js";
import { buildPrompt, type UserProfile } from "./prompt.js";
import { inboundText, replyMessage, scriptedReply } from "./reply.js";

export interface BotWorkerOptions {
  fallbackReply: string;
  historyMessages: number;
  historyTokenBudget: number;
  markRead: boolean;
  typingIndicator: boolean;
  /** Quote the user's message in the reply (context.message_id); off by default, as chats rarely need it. */
  quoteInbound?: boolean;
  concurrency?: number;
}

export interface BotWorkerDeps {
  bus: Bus;
  flows: FlowRegistry;
  memory: MemoryKeeper;
  users?: Pick<UserStore, "find">;
  /** Undefined in offline mode (no OPENAI_API_KEY): replies come from the stage's script. */
  model?: ChatModel;
  metrics: ResponderMetrics;
  log: Logger;
  options: BotWorkerOptions;
  now?: () => number;
}

/** Deterministic keys: a redelivered `conversation.routed` can never produce a second reply. */
export const replyKey = (wamid: string) => `bot:${wamid}`;
export const readKey = (wamid: string) => `read:${wamid}`;

/** Consumes `conversation.routed` and, for route "bot", composes a reply as an `outbound.request`. */
export class BotWorker {
  private consumer: Consumer | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: BotWorkerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.consumer = await this.deps.bus.consume({
      topic: "conversation.routed",
      group: GROUPS.responder,
      concurrency: this.deps.options.concurrency ?? 32,
      handler: (event) => this.handle(event),
    });
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    await this.consumer?.close({ timeoutMs });
  }

  async handle(event: FlankEvent): Promise<void> {
    if (event.type !== "conversation.routed" || event.data.route !== "bot") return;
    const { data } = event;
    const message = data.message;
    const text = inboundText(message);
    const log = this.deps.log.child({
      eventId: event.id,
      conversationId: event.conversationId,
      wamid: message.wamid,
    });
    if (text === undefined) {
      log.debug({ type: message.type }, "nothing to answer");
      return;
    }
    const started = this.now();
    const address = addressOf(message);
    if (!address) {
      log.warn("inbound message has neither wa_id nor BSUID; cannot reply");
      return;
    }

    const flow = this.deps.flows.resolve(data.flowId);
    const stage = flow.stages[data.stageAfter] ?? flow.stages[flow.initialStage];
    if (!stage) throw new Error(`flow ${flow.id} has no stage ${data.stageAfter}`);
    const idleMs = flow.idleTimeoutMinutes * 60_000;
    // The read receipt and the memory read do not depend on each other: one wait, not two.
    const [, { summary, session, state }] = await Promise.all([
      this.deps.options.markRead
        ? this.publish(event, readKey(message.wamid), address, {
            type: "read",
            messageId: message.wamid,
            ...(this.deps.options.typingIndicator ? { typing: true } : {}),
          })
        : undefined,
      this.deps.memory.prepare(event.conversationId, idleMs, this.deps.options.historyMessages),
    ]);

    let reply: string;
    let mode: "model" | "offline" | "fallback";
    if (this.deps.model) {
      const prompt = buildPrompt({
        ...(flow.systemPrompt ? { flowPrompt: flow.systemPrompt } : {}),
        stage,
        ...(summary ? { summary } : {}),
        profile: await this.profile(event.tenant, message),
        history: session,
        message: text,
        maxHistory: this.deps.options.historyMessages,
        tokenBudget: this.deps.options.historyTokenBudget,
      });
      try {
        reply = await this.deps.model.complete(prompt);
        mode = "model";
      } catch (err) {
        // The user is never left in silence: the configured fallback goes out instead.
        const reason = modelFailureReason(err);
        this.deps.metrics.modelFailures.inc({ reason });
        log.error({ err, reason }, "model call failed; sending the fallback reply");
        reply = this.deps.options.fallbackReply;
        mode = "fallback";
      }
    } else {
      reply = scriptedReply(stage.replies, session);
      mode = "offline";
    }
    this.deps.metrics.replies.inc({ mode });

    const outbound = replyMessage(reply, stage.options);
    const replyTo = this.deps.options.quoteInbound ? message.wamid : undefined;
    const published = await this.publish(event, replyKey(message.wamid), address, outbound, replyTo);
    if (!published) {
      log.info("reply already published for this message; skipped");
      return;
    }
    const at = new Date(this.now()).toISOString();
    await this.deps.memory.record(
      event.conversationId,
      [
        { role: "user", text, at: message.timestamp || at, id: message.wamid },
        { role: "assistant", text: reply, at },
      ],
      state,
    );
    log.info({ mode, stage: data.stageAfter, durationMs: this.now() - started }, "reply composed");
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

  /** Publishes once per key (bus dedup); false when the key was published before. */
  private async publish(
    cause: FlankEvent,
    key: string,
    address: { to?: string; recipient?: string; recipientType?: "group" },
    message: OutboundMessage,
    replyTo?: string,
  ): Promise<boolean> {
    const request = createEvent({
      type: "outbound.request",
      tenant: cause.tenant,
      conversationId: cause.conversationId,
      data: { idempotencyKey: key, ...address, message, source: "bot", ...(replyTo ? { replyTo } : {}) },
    });
    const result = await this.deps.bus.publish(request, { dedupKeys: [`outbound:${key}`] });
    return result.published.length > 0;
  }
}

/** Where a reply goes: the group for a group message (never its sender privately), else the user. */
function addressOf(
  message: ConversationRoutedData["message"],
): { to?: string; recipient?: string; recipientType?: "group" } | undefined {
  if (message.groupId) return { to: message.groupId, recipientType: "group" };
  if (message.from) return { to: message.from };
  if (message.userId) return { recipient: message.userId };
  return undefined;
}
