import type { Bus, Subscription } from "@flank/shared/bus";
import {
  type ConversationCommandResultData,
  type FlankEvent,
  type OutboundResultData,
  type Topic,
  topicChannel,
} from "@flank/shared/contract";
import type { Logger } from "pino";

export interface PendingResult<T> {
  /** The result, or undefined when `ms` ran out. */
  wait(ms: number): Promise<T | undefined>;
  cancel(): void;
}

/**
 * Waits for result events by key over one shared tap on the topic's channel (opened on first use,
 * closed with `close`). Taps are at-most-once, so a missed result only means the caller answers
 * "queued" instead of the answer.
 */
export class ResultWaiter<T> {
  private sub: Promise<Subscription> | undefined;
  private readonly waiting = new Map<string, Set<(r: T) => void>>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly topic: Topic,
    /** The key and result an event answers, or undefined when it answers no one yet. */
    private readonly resultOf: (event: FlankEvent) => { key: string; result: T } | undefined,
  ) {}

  /** Registers interest before the request is published, so a fast result cannot be missed. */
  async expect(key: string): Promise<PendingResult<T>> {
    await this.listen();
    let deliver: (r: T) => void = () => {};
    const result = new Promise<T>((resolve) => {
      deliver = resolve;
    });
    const set = this.waiting.get(key) ?? new Set();
    set.add(deliver);
    this.waiting.set(key, set);
    const cancel = () => {
      set.delete(deliver);
      if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
    };
    return {
      cancel,
      wait: async (ms) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), ms);
        });
        try {
          return await Promise.race([result, timeout]);
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
    };
  }

  async close(): Promise<void> {
    const sub = await this.sub?.catch(() => undefined);
    this.sub = undefined;
    await sub?.close();
  }

  private listen(): Promise<Subscription> {
    this.sub ??= this.bus
      .tap(topicChannel(this.topic), (event) => {
        const answered = this.resultOf(event);
        if (!answered) return;
        for (const deliver of this.waiting.get(answered.key) ?? []) deliver(answered.result);
      })
      .catch((err) => {
        this.sub = undefined;
        this.log.warn({ err, topic: this.topic }, "could not tap results");
        throw err;
      });
    return this.sub;
  }
}

/** Final send results by idempotency key (a failure the sender will retry is not final). */
export const outboundResults = (bus: Bus, log: Logger) =>
  new ResultWaiter<OutboundResultData>(bus, log, "outbound.result", (event) => {
    if (event.type !== "outbound.result") return undefined;
    const data = event.data;
    if (data.status === "failed" && !data.final) return undefined;
    return { key: data.idempotencyKey, result: data };
  });

/** What the router made of a conversation command, by the command's event id. */
export const commandResults = (bus: Bus, log: Logger) =>
  new ResultWaiter<ConversationCommandResultData>(bus, log, "conversation.command_result", (event) =>
    event.type === "conversation.command_result"
      ? { key: event.data.commandId, result: event.data }
      : undefined,
  );

export interface Waiters {
  results: ResultWaiter<OutboundResultData>;
  commands: ResultWaiter<ConversationCommandResultData>;
}
