import type { Logger } from "pino";
import { newId } from "../events/event.js";
import type { BusBackend } from "./backend.js";
import type { BusTuning, CloseOptions, ConsumeOptions, Consumer } from "./bus.js";
import { HandlerSlots } from "./handler-slots.js";
import { InFlightLimit } from "./in-flight.js";
import { type DeadLetter, PartitionWorker } from "./partition-worker.js";

export type { DeadLetter } from "./partition-worker.js";

/**
 * One consumer instance of a group. It leases a fair share of the topic's partitions and runs a
 * PartitionWorker on each; all of them share one bound on events in flight. Leases are short and
 * renewed every sixth of the claim timeout, so when an instance dies its partitions move to the
 * survivors within about the claim timeout; a partition given up on purpose keeps its lease (and
 * renewals) until every event it received is acknowledged, so no two instances overlap.
 */
export class PartitionConsumer implements Consumer {
  private readonly id = newId();
  /** Partitions being read. */
  private readonly held = new Map<number, PartitionWorker>();
  /** Partitions stopped and draining: their leases are still renewed until released. */
  private readonly draining = new Map<number, Promise<void>>();
  private readonly limit: InFlightLimit;
  private readonly slots: HandlerSlots;
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
    this.limit = new InFlightLimit(opts.maxInFlight ?? tuning.maxInFlight, tuning.memoryShort);
    this.slots = new HandlerSlots(this.limit.max, tuning.loopLoad(), tuning.memoryShort);
    this.membersKey = `${opts.group}:${opts.topic}`;
  }

  async start(): Promise<void> {
    this.slots.start();
    await this.tick();
    this.timer = setInterval(
      () => void this.tick(),
      Math.max(50, Math.floor(this.tuning.claimTimeoutMs / 6)),
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
    if (this.ticking) return this.ticking;
    this.ticking = this.rebalance()
      .catch((err) => this.log.warn({ err, ...this.where() }, "partition rebalance failed"))
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private where() {
    return { group: this.opts.group, topic: this.opts.topic };
  }

  private async rebalance(): Promise<void> {
    const { leases } = this.backend;
    const ttl = this.tuning.claimTimeoutMs;
    const partitions = this.tuning.partitions;

    const mine = [...this.held.keys(), ...this.draining.keys()];
    const renewed = mine.length
      ? await leases.renew(
          mine.map((p) => this.leaseName(p)),
          this.id,
          ttl,
        )
      : [];
    for (const [i, partition] of mine.entries()) {
      if (renewed[i] || !this.held.has(partition)) continue;
      this.log.warn({ partition, ...this.where() }, "partition lease lost");
      this.stopPartition(partition, false);
    }
    if (this.closing) return;

    const members = await leases.heartbeat(this.membersKey, this.id, ttl);
    const target = Math.ceil(partitions / Math.max(1, members));
    for (const partition of [...this.held.keys()].slice(target)) this.stopPartition(partition, true);
    if (this.held.size >= target) return;
    const free = shuffle(
      [...Array(partitions).keys()].filter((p) => !this.held.has(p) && !this.draining.has(p)),
    );
    for (const partition of free) {
      if (this.held.size >= target || this.closing) break;
      if (await leases.acquire(this.leaseName(partition), this.id, ttl)) await this.startPartition(partition);
    }
  }

  private async startPartition(partition: number): Promise<void> {
    try {
      const reader = await this.backend.openPartition(this.opts.topic, partition, this.opts.group);
      this.held.set(
        partition,
        new PartitionWorker(reader, {
          ...this.where(),
          handler: this.opts.handler,
          maxAttempts: this.opts.maxAttempts ?? this.tuning.maxAttempts,
          batchSize: this.tuning.batchSize,
          readWaitMs: this.tuning.readWaitMs,
          retryBaseDelayMs: this.tuning.retryBaseDelayMs,
          retryMaxDelayMs: this.tuning.retryMaxDelayMs,
          limit: this.limit,
          slots: this.slots,
          deadLetter: this.deadLetter,
          healthy: async () => (await this.backend.health()).ok,
          log: this.log.child({ partition }),
        }),
      );
      this.log.info({ partition, ...this.where() }, "partition taken");
    } catch (err) {
      await this.backend.leases.release(this.leaseName(partition), this.id);
      throw err;
    }
  }

  /** Stops reading a partition; once what it received is acknowledged, releases the lease if asked. */
  private stopPartition(partition: number, release: boolean): void {
    const worker = this.held.get(partition);
    if (!worker) return;
    this.held.delete(partition);
    worker.stop();
    const since = Date.now();
    const drained = worker
      .drained()
      .then(() => (release ? this.backend.leases.release(this.leaseName(partition), this.id) : undefined))
      .then(() =>
        this.log.info({ partition, ...this.where(), drainMs: Date.now() - since }, "partition given up"),
      )
      .catch((err) => this.log.warn({ err, partition }, "partition stop failed"))
      .finally(() => this.draining.delete(partition));
    this.draining.set(partition, drained);
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    await this.ticking;
    for (const partition of [...this.held.keys()]) this.stopPartition(partition, true);
    // The timer keeps renewing the draining partitions' leases until they are released.
    const all = Promise.all([...this.draining.values()]).then(() => true);
    let deadline: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      deadline = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([all, late]);
    clearTimeout(deadline);
    this.slots.stop();
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    if (!finished) {
      // Handlers still running past the deadline are abandoned: their events stay unacked and
      // their partitions leased until the claim timeout, then another instance redelivers them.
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
