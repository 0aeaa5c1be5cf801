import type { Logger } from "pino";
import { errorMessage } from "../errors.js";
import { decodeEvent } from "../events/event.js";
import type { Topic } from "../events/names.js";
import type { FlankEvent } from "../events/schemas.js";
import type { Delivery, PartitionReader } from "./backend.js";
import type { Handler, HandlerContext } from "./bus.js";
import type { HandlerSlots } from "./handler-slots.js";
import type { InFlightLimit } from "./in-flight.js";
import { isPermanent, retryDelay, sleep } from "./retry.js";

/** Where a consumer sends what it gives up on. */
export type DeadLetter = (failed: {
  value: unknown;
  event?: FlankEvent;
  topic: Topic;
  group: string;
  attempts: number;
  error: string;
}) => Promise<void>;

export interface WorkerOptions {
  topic: Topic;
  group: string;
  handler: Handler;
  maxAttempts: number;
  batchSize: number;
  readWaitMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  limit: InFlightLimit;
  /** The consumer's handlers at once, shared by its partitions. */
  slots: HandlerSlots;
  deadLetter: DeadLetter;
  /** Whether the bus answers: a handler failing while it does not is not charged an attempt. */
  healthy: () => Promise<boolean>;
  log: Logger;
}

interface Entry {
  delivery: Delivery;
  event: FlankEvent;
}

/** Retries of the bus's own calls (reads, acks, dead letters): short, so an outage ends quickly. */
const MAX_BACKOFF_MS = 1000;
const backoff = (attempt: number) => Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt, 4));
/** How often a handler that failed during a bus outage looks whether the bus is back. */
const OUTAGE_RECHECK_MS = 250;

/**
 * One leased partition, consumed as a key-ordered parallel consumer: it keeps reading while
 * conversations are busy, chains each conversation's events (one at a time, in stream order),
 * runs different conversations at once and acknowledges each event on its own when its handler
 * is done. A slow, retrying or failing conversation holds up only its own chain.
 */
export class PartitionWorker {
  private stopped = false;
  private readonly chains = new Map<string, Entry[]>();
  /** Deliveries received and not yet acknowledged (or given up on). */
  private unacked = 0;
  private ackQueue: Delivery[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly loop: Promise<void>;

  constructor(
    private readonly reader: PartitionReader,
    private readonly opts: WorkerOptions,
  ) {
    this.loop = this.readLoop();
  }

  /** Stops reading; what was received is still handled and acknowledged (see `drained`). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.limit.wake();
    void this.reader.close().catch((err) => this.opts.log.warn({ err }, "partition reader close failed"));
  }

  /** Resolves once reading has stopped and every received event is acknowledged. */
  async drained(): Promise<void> {
    await this.loop;
    while (this.unacked > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private async readLoop(): Promise<void> {
    const { limit, batchSize, log, topic } = this.opts;
    const leave = limit.join();
    let failures = 0;
    try {
      while (!this.stopped) {
        const room = await limit.room(() => this.stopped);
        if (room === 0) break;
        let batch: Delivery[];
        try {
          batch = await this.reader.read(Math.min(batchSize, room), this.opts.readWaitMs);
        } catch (err) {
          if (this.stopped) break;
          // An outage is logged once, then retried with backoff until reads succeed again.
          if (failures++ === 0) log.warn({ err, topic }, "bus read failed; retrying with backoff");
          await sleep(backoff(failures));
          continue;
        }
        if (failures > 0) log.info({ topic, failures }, "bus reads recovered");
        failures = 0;
        // Accepted even when stopped meanwhile: a reader may hand over what a pending read brought.
        this.accept(batch);
      }
    } finally {
      leave();
    }
  }

  private accept(batch: readonly Delivery[]): void {
    this.unacked += batch.length;
    this.opts.limit.add(batch.length);
    // Every event joins its chain before any new chain starts, so a handler sees the whole batch's
    // events of its conversation queued behind it (a burst redelivered together is answered together).
    const started: [string, Entry[]][] = [];
    for (const delivery of batch) {
      const decoded = decodeEvent(delivery.raw);
      if (!decoded.ok) {
        this.opts.log.error({ topic: this.opts.topic, error: decoded.error }, "invalid event dead-lettered");
        void this.deadLetter({
          ...this.where(),
          value: decoded.value,
          attempts: 0,
          error: decoded.error,
        }).then((sent) => (sent ? this.ack([delivery]) : this.settle(1)));
        continue;
      }
      // The handler needs the parsed event; the text would be held until the ack (a slow model's
      // seconds) for nothing.
      delivery.raw = "";
      const entry = { delivery, event: decoded.event };
      const key = decoded.event.conversationId;
      const chain = this.chains.get(key);
      if (chain) chain.push(entry);
      else {
        const fresh = [entry];
        this.chains.set(key, fresh);
        started.push([key, fresh]);
      }
    }
    for (const [key, chain] of started) void this.runChain(key, chain);
  }

  private async runChain(key: string, chain: Entry[]): Promise<void> {
    while (chain.length > 0) {
      const outcome = await this.handle(chain[0] as Entry, chain);
      if (outcome === "abandoned") {
        // Left unacknowledged for the next holder, and so is everything behind it (order).
        this.settle(chain.splice(0).length);
        break;
      }
      this.ack(chain.splice(0, 1 + outcome).map((e) => e.delivery));
    }
    this.chains.delete(key);
  }

  /** Runs the handler with retries; the number of queued events it absorbed, or "abandoned". */
  private async handle(head: Entry, chain: Entry[]): Promise<number | "abandoned"> {
    const { handler, maxAttempts, retryBaseDelayMs, retryMaxDelayMs } = this.opts;
    const { event, delivery } = head;
    for (let attempt = delivery.previousDeliveries + 1; ; attempt++) {
      let absorbed = 0;
      try {
        // In a slot: the chain waits for one, and the events of its conversation that arrive
        // meanwhile queue behind it (the bot answers them together).
        await this.opts.slots.run((wait) => {
          const ctx: HandlerContext = {
            attempt,
            ...this.where(),
            queued: () => chain.slice(1 + absorbed).map((e) => e.event),
            absorb: (count) => {
              absorbed = Math.min(chain.length - 1, absorbed + Math.max(0, count));
            },
            wait,
          };
          return handler(event, ctx);
        });
        return absorbed;
      } catch (err) {
        const log = this.opts.log.child({ eventId: event.id, conversationId: event.conversationId, attempt });
        // A bus outage (Redis restarting) is nobody's fault: wait for the bus and try again
        // without spending an attempt, so an outage of any length dead-letters nothing.
        if (!isPermanent(err) && (await this.waitedOutOutage())) {
          attempt--;
          continue;
        }
        if (attempt >= maxAttempts || isPermanent(err)) {
          log.error({ err, ...this.where() }, "handler failed; event dead-lettered");
          // Never dead-letter the dead-letter topic into itself.
          if (this.opts.topic === "dlq") return 0;
          const sent = await this.deadLetter({
            ...this.where(),
            value: event,
            event,
            attempts: attempt,
            error: errorMessage(err),
          });
          return sent ? 0 : "abandoned";
        }
        log.warn({ err, ...this.where() }, "handler failed; retrying");
        await sleep(retryDelay(attempt, retryBaseDelayMs, retryMaxDelayMs));
      }
    }
  }

  /** After a handler failure: true when the bus was down (then it waited until the bus answers again). */
  private async waitedOutOutage(): Promise<boolean> {
    if (await this.opts.healthy().catch(() => false)) return false;
    this.opts.log.warn({ ...this.where() }, "handler failed while the bus is unavailable; waiting for it");
    while (!this.stopped && !(await this.opts.healthy().catch(() => false))) await sleep(OUTAGE_RECHECK_MS);
    return true;
  }

  /** Publishes a dead letter, retrying while the bus is down; false when stopped before it went out. */
  private async deadLetter(failed: Parameters<DeadLetter>[0]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.deadLetter(failed);
        return true;
      } catch (err) {
        if (attempt === 1)
          this.opts.log.error({ err, ...this.where() }, "dead letter not published; retrying");
        if (this.stopped) return false;
        await sleep(backoff(attempt));
      }
    }
  }

  private where() {
    return { topic: this.opts.topic, group: this.opts.group };
  }

  /** Acknowledgements of one microtask turn go out together (one XACK for many events). */
  private ack(deliveries: readonly Delivery[]): void {
    if (deliveries.length === 0) return;
    if (this.ackQueue.length === 0) queueMicrotask(() => void this.flushAcks());
    this.ackQueue.push(...deliveries);
  }

  private async flushAcks(): Promise<void> {
    const list = this.ackQueue;
    this.ackQueue = [];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.reader.ack(list);
        break;
      } catch (err) {
        if (attempt === 1) this.opts.log.warn({ err, ...this.where() }, "ack failed; retrying");
        // Unacked events are redelivered to the partition's next holder: at-least-once holds.
        if (this.stopped && attempt >= 3) break;
        await sleep(backoff(attempt));
      }
    }
    this.settle(list.length);
  }

  /** Frees the slots of deliveries that are acknowledged or left for the next holder. */
  private settle(n: number): void {
    this.unacked -= n;
    this.opts.limit.release(n);
    if (this.unacked === 0) {
      const waiting = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiting) resolve();
    }
  }
}
