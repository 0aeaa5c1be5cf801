import type { Logger } from "pino";
import { assertEvent, createEvent, decodeEvent } from "../events/event.js";
import { channelsFor } from "../events/names.js";
import type { FlankEvent } from "../events/schemas.js";
import type { AppendItem, BusBackend } from "./backend.js";
import {
  type Bus,
  type BusHealth,
  type BusTuning,
  type CloseOptions,
  type ConsumeOptions,
  type Consumer,
  DEFAULT_TUNING,
  type PublishOptions,
  type PublishResult,
  type Subscription,
  type TapHandler,
} from "./bus.js";
import { type DeadLetter, PartitionConsumer } from "./consumer.js";
import { partitionOf } from "./partition.js";
import { assertPattern, subjectMatches } from "./subject.js";
import { TapQueue } from "./tap-queue.js";

/** The one Bus implementation: validation, partitioning, consumers and taps over any backend. */
export class PartitionedBus implements Bus {
  readonly tuning: BusTuning;
  private readonly consumers = new Set<PartitionConsumer>();
  private readonly taps = new Set<Subscription>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly backend: BusBackend,
    private readonly log: Logger,
    tuning: Partial<BusTuning> = {},
  ) {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
  }

  async publish(
    events: FlankEvent | readonly FlankEvent[],
    opts: PublishOptions = {},
  ): Promise<PublishResult> {
    this.assertOpen();
    return this.append(events, opts);
  }

  async announce(events: FlankEvent | readonly FlankEvent[]): Promise<void> {
    this.assertOpen();
    const list = Array.isArray(events) ? (events as readonly FlankEvent[]) : [events as FlankEvent];
    if (list.length > 0) await this.backend.broadcast(list.map((e) => this.item(e)));
  }

  private item(value: FlankEvent, dedupKey?: string): AppendItem {
    const event = assertEvent(value);
    return {
      id: event.id,
      topic: event.type,
      partition: partitionOf(event.conversationId, this.tuning.partitions),
      channels: channelsFor(event),
      raw: JSON.stringify(event),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    };
  }

  /** Publishing without the open check, so draining consumers can still dead-letter. */
  private async append(
    events: FlankEvent | readonly FlankEvent[],
    opts: PublishOptions,
  ): Promise<PublishResult> {
    const list = Array.isArray(events) ? (events as readonly FlankEvent[]) : [events as FlankEvent];
    if (opts.dedupKeys && opts.dedupKeys.length !== list.length) {
      throw new Error(`dedupKeys has ${opts.dedupKeys.length} entries for ${list.length} events`);
    }
    const items = list.map((value, i) => this.item(value, opts.dedupKeys?.[i]));
    if (items.length === 0) return { published: [], duplicates: [] };
    const duplicate = await this.backend.append(items, this.tuning.dedupTtlSeconds);
    const result: PublishResult = { published: [], duplicates: [] };
    for (const [i, item] of items.entries())
      (duplicate[i] ? result.duplicates : result.published).push(item.id);
    return result;
  }

  async consume(opts: ConsumeOptions): Promise<Consumer> {
    this.assertOpen();
    const consumer = new PartitionConsumer(
      this.backend,
      opts,
      this.tuning,
      this.deadLetter,
      this.log.child({ group: opts.group, topic: opts.topic }),
    );
    await consumer.start();
    this.consumers.add(consumer);
    return {
      close: async (closeOpts?: CloseOptions) => {
        this.consumers.delete(consumer);
        await consumer.close(closeOpts);
      },
    };
  }

  async tap(pattern: string, handler: TapHandler): Promise<Subscription> {
    this.assertOpen();
    assertPattern(pattern);
    const queue = new TapQueue<[string, string]>(
      ([channel, raw]) => {
        const decoded = decodeEvent(raw);
        if (decoded.ok) return handler(decoded.event, channel);
        this.log.warn({ channel, error: decoded.error }, "invalid event on tap ignored");
      },
      (err) => this.log.warn({ err, pattern }, "tap handler failed"),
    );
    const source = await this.backend.subscribe(pattern, (channel, raw) => {
      if (subjectMatches(pattern, channel)) queue.push([channel, raw]);
    });
    const sub: Subscription = {
      close: async () => {
        this.taps.delete(sub);
        queue.close();
        await source.close();
      },
    };
    this.taps.add(sub);
    return sub;
  }

  health(): Promise<BusHealth> {
    return this.backend.health();
  }

  close(opts: CloseOptions = {}): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.close(opts)));
      await Promise.all([...this.taps].map((t) => t.close()));
      await this.backend.close();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error("bus is closed");
  }

  private readonly deadLetter: DeadLetter = async (failed) => {
    const event = createEvent({
      type: "dlq",
      tenant: failed.event?.tenant ?? "unknown",
      conversationId: failed.event?.conversationId ?? "unknown",
      data: {
        event: failed.value,
        topic: failed.topic,
        group: failed.group,
        attempts: failed.attempts,
        error: failed.error,
      },
    });
    await this.append(event, {});
  };
}
