import { type Bus, type OutboundResultData, type Subscription, topicChannel } from "@flank/shared";
import type { Logger } from "pino";

export interface PendingResult {
  /** The final result (sent, or failed with no retry left), or undefined when `ms` ran out. */
  wait(ms: number): Promise<OutboundResultData | undefined>;
  cancel(): void;
}

/**
 * Waits for `outbound.result` events by idempotency key over one shared tap on
 * `flank.outbound.result` (opened on first use, closed with the bus). Taps are at-most-once, so a
 * missed result only means the caller gets "queued" instead of the answer.
 */
export class ResultWaiter {
  private sub: Promise<Subscription> | undefined;
  private readonly waiting = new Map<string, Set<(r: OutboundResultData) => void>>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Registers interest before the request is published, so a fast result cannot be missed. */
  async expect(key: string): Promise<PendingResult> {
    await this.listen();
    let deliver: (r: OutboundResultData) => void = () => {};
    const result = new Promise<OutboundResultData>((resolve) => {
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
      .tap(topicChannel("outbound.result"), (event) => {
        if (event.type !== "outbound.result") return;
        const data = event.data;
        if (data.status === "failed" && !data.final) return; // the sender will retry
        for (const deliver of this.waiting.get(data.idempotencyKey) ?? []) deliver(data);
      })
      .catch((err) => {
        this.sub = undefined;
        this.log.warn({ err }, "could not tap outbound results");
        throw err;
      });
    return this.sub;
  }
}
