import type { Logger } from "pino";
import { errorMessage } from "../errors.js";
import { decodeEvent, newId } from "../events/event.js";
import type { Topic } from "../events/names.js";
import type { FlankEvent } from "../events/schemas.js";
import type { BusBackend, Delivery, PartitionReader } from "./backend.js";
import type { BusTuning, CloseOptions, ConsumeOptions, Consumer } from "./bus.js";
import { isPermanent, retryDelay, sleep } from "./retry.js";
import { Semaphore } from "./semaphore.js";

/** Where a consumer sends what it gives up on. */
export type DeadLetter = (failed: {
  value: unknown;
  event?: FlankEvent;
  topic: Topic;
  group: string;
  attempts: number;
  error: string;
}) => Promise<void>;

interface Held {
  reader: PartitionReader;
  stopped: boolean;
  done: Promise<void>;
}

const READ_BLOCK_MS = 1000;

/**
 * One consumer instance of a group. It leases a fair share of the topic's partitions (leases
 * lapse after the claim timeout when an instance dies, and the survivors take them over) and
 * handles each partition's events in order: a batch is split by conversation, conversations run
 * in parallel, and each conversation's events run one at a time.
 */
export class PartitionConsumer implements Consumer {
  private readonly id = newId();
  private readonly held = new Map<number, Held>();
  private readonly draining = new Set<Promise<void>>();
  private readonly slots: Semaphore;
  private readonly maxAttempts: number;
  private readonly membersKey: string;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly backend: BusBackend,
    private readonly opts: ConsumeOptions,
    private readonly tuning: BusTuning,
    private readonly deadLetter: DeadLetter,
    private readonly log: Logger,
  ) {
    this.slots = new Semaphore(opts.concurrency ?? 64);
    this.maxAttempts = opts.maxAttempts ?? tuning.maxAttempts;
    this.membersKey = `${opts.group}:${opts.topic}`;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(
      () => void this.tick(),
      Math.max(50, Math.floor(this.tuning.claimTimeoutMs / 3)),
    );
    this.timer.unref();
  }

  close(opts: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(opts.timeoutMs ?? 10_000);
    return this.closing;
  }

  private leaseName(partition: number): string {
    return `${this.opts.group}:${this.opts.topic}:${partition}`;
  }

  private tick(): Promise<void> {
    if (this.ticking || this.closing) return this.ticking ?? Promise.resolve();
    this.ticking = this.rebalance()
      .catch((err) =>
        this.log.warn({ err, group: this.opts.group, topic: this.opts.topic }, "partition rebalance failed"),
      )
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private async rebalance(): Promise<void> {
    const { leases } = this.backend;
    const ttl = this.tuning.claimTimeoutMs;
    const partitions = this.tuning.partitions;
    const members = await leases.heartbeat(this.membersKey, this.id, ttl);
    const target = Math.ceil(partitions / Math.max(1, members));

    for (const partition of [...this.held.keys()]) {
      if (!(await leases.renew(this.leaseName(partition), this.id, ttl))) {
        this.log.warn({ partition, topic: this.opts.topic }, "partition lease lost");
        this.stopPartition(partition, false);
      }
    }
    for (const partition of [...this.held.keys()].slice(target)) this.stopPartition(partition, true);

    if (this.held.size >= target) return;
    const free = shuffle([...Array(partitions).keys()].filter((p) => !this.held.has(p)));
    for (const partition of free) {
      if (this.held.size >= target || this.closing) break;
      if (await leases.acquire(this.leaseName(partition), this.id, ttl)) await this.startPartition(partition);
    }
  }

  private async startPartition(partition: number): Promise<void> {
    let reader: PartitionReader;
    try {
      reader = await this.backend.openPartition(this.opts.topic, partition, this.opts.group);
    } catch (err) {
      await this.backend.leases.release(this.leaseName(partition), this.id);
      throw err;
    }
    const held: Held = { reader, stopped: false, done: Promise.resolve() };
    held.done = this.run(held);
    this.held.set(partition, held);
  }

  /** Stops reading a partition; once its current batch is done, releases the lease if asked. */
  private stopPartition(partition: number, release: boolean): Promise<void> {
    const held = this.held.get(partition);
    if (!held) return Promise.resolve();
    this.held.delete(partition);
    held.stopped = true;
    const drained = held.reader
      .close()
      .then(() => held.done)
      .then(() => (release ? this.backend.leases.release(this.leaseName(partition), this.id) : undefined))
      .catch((err) => this.log.warn({ err, partition }, "partition stop failed"));
    this.draining.add(drained);
    void drained.finally(() => this.draining.delete(drained));
    return drained;
  }

  private async run(held: Held): Promise<void> {
    while (!held.stopped) {
      let batch: Delivery[];
      try {
        batch = await held.reader.read(this.tuning.batchSize, READ_BLOCK_MS);
      } catch (err) {
        if (held.stopped) return;
        this.log.warn({ err, topic: this.opts.topic }, "bus read failed; retrying");
        await sleep(500);
        continue;
      }
      if (batch.length === 0) continue;
      try {
        await this.handleBatch(batch);
        await held.reader.ack(batch);
      } catch (err) {
        // Only a failed dead-letter or ack gets here: keep the events and read them again first.
        this.log.error({ err, topic: this.opts.topic }, "batch not acknowledged; will be redelivered");
        await held.reader.giveBack(batch).catch(() => undefined);
        await sleep(1000);
      }
    }
  }

  private async handleBatch(batch: Delivery[]): Promise<void> {
    const byConversation = new Map<string, { delivery: Delivery; event: FlankEvent }[]>();
    const work: Promise<void>[] = [];
    for (const delivery of batch) {
      const decoded = decodeEvent(delivery.raw);
      if (!decoded.ok) {
        this.log.error({ topic: this.opts.topic, error: decoded.error }, "invalid event dead-lettered");
        work.push(
          this.deadLetter({ ...this.where(), value: decoded.value, attempts: 0, error: decoded.error }),
        );
        continue;
      }
      const key = decoded.event.conversationId;
      const list = byConversation.get(key) ?? [];
      list.push({ delivery, event: decoded.event });
      byConversation.set(key, list);
    }
    for (const items of byConversation.values()) {
      work.push(
        (async () => {
          for (const { delivery, event } of items)
            await this.slots.run(() => this.handleOne(event, delivery));
        })(),
      );
    }
    await Promise.all(work);
  }

  private where() {
    return { topic: this.opts.topic, group: this.opts.group };
  }

  private async handleOne(event: FlankEvent, delivery: Delivery): Promise<void> {
    for (let attempt = delivery.previousDeliveries + 1; ; attempt++) {
      try {
        await this.opts.handler(event, { attempt, ...this.where() });
        return;
      } catch (err) {
        const log = this.log.child({ eventId: event.id, conversationId: event.conversationId, attempt });
        if (attempt >= this.maxAttempts || isPermanent(err)) {
          log.error({ err, ...this.where() }, "handler failed; event dead-lettered");
          if (this.opts.topic === "dlq") return; // never dead-letter the dead-letter topic into itself
          await this.deadLetter({
            ...this.where(),
            value: event,
            event,
            attempts: attempt,
            error: errorMessage(err),
          });
          return;
        }
        log.warn({ err, ...this.where() }, "handler failed; retrying");
        await sleep(retryDelay(attempt, this.tuning.retryBaseDelayMs, this.tuning.retryMaxDelayMs));
      }
    }
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    for (const partition of [...this.held.keys()]) this.stopPartition(partition, true);
    const all = Promise.all([...this.draining]).then(() => true);
    const finished = await Promise.race([all, sleep(timeoutMs).then(() => false)]);
    if (!finished) {
      // Handlers still running past the deadline are abandoned: their events stay unacked and
      // their partitions stay leased until the claim timeout, then another instance redelivers them.
      this.log.warn({ ...this.where(), timeoutMs }, "consumer closed with handlers still running");
      return;
    }
    await this.backend.leases.leave(this.membersKey, this.id).catch(() => undefined);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
