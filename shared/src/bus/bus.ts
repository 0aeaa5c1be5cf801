import type { Topic } from "../events/names.js";
import type { FlankEvent } from "../events/schemas.js";
import { type LoadSampler, loopLoad, type Wait } from "./handler-slots.js";
import { heapNearLimit } from "./heap-pressure.js";

export interface PublishOptions {
  /**
   * Natural keys (a wamid, `wamid:status`) parallel to the events. An event whose key was already
   * published is skipped; the check and the append are one atomic step, and a failed append marks
   * nothing as seen.
   */
  dedupKeys?: readonly (string | undefined)[];
}

export interface PublishResult {
  /** Ids of the events appended. */
  published: string[];
  /** Ids of the events skipped as duplicates of an earlier publish. */
  duplicates: string[];
}

export interface HandlerContext {
  /** 1 on the first delivery; counts redeliveries after a crash too, where the backend tracks them. */
  attempt: number;
  topic: Topic;
  group: string;
  /**
   * Events of the same conversation already received and waiting behind this one, oldest first.
   * They run after this handler, one at a time, unless it absorbs them.
   */
  queued(): readonly FlankEvent[];
  /**
   * Declares the first `count` queued events handled by this call (the bot answers a burst in one
   * reply): when this handler succeeds they are acknowledged with its event and never handled on
   * their own; when it fails they stay queued.
   */
  absorb(count: number): void;
  /**
   * Lends this handler's slot to others while it waits on something outside the process (a model
   * call, a pacing delay): the consumer bounds the handlers working at once by the CPU's load
   * (handler-slots.ts), not the ones waiting.
   */
  wait: Wait;
}

export type Handler = (event: FlankEvent, ctx: HandlerContext) => Promise<void>;

export interface ConsumeOptions {
  topic: Topic;
  /** Consumer group: each event reaches exactly one consumer of each group. */
  group: string;
  handler: Handler;
  /**
   * Events received and not yet acknowledged, across this consumer's partitions (default: the bus's
   * `maxInFlight`). Reading stops while it is reached, so memory stays bounded.
   */
  maxInFlight?: number;
  /** Attempts before the event is dead-lettered (default: the bus's `maxAttempts`). */
  maxAttempts?: number;
}

export interface CloseOptions {
  /** How long to wait for in-flight handlers; events still unfinished stay unacked for another consumer. */
  timeoutMs?: number;
}

export interface Consumer {
  close(opts?: CloseOptions): Promise<void>;
}

export type TapHandler = (event: FlankEvent, channel: string) => void | Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

export interface BusHealth {
  ok: boolean;
  backend: "memory" | "redis" | "nats";
  detail?: string;
}

/**
 * The message bus (docs/architecture.md "Guarantees"). Work is durable, at-least-once, ordered per conversation and
 * shared by consumer groups; taps are live, at-most-once and never slow work down.
 */
export interface Bus {
  publish(events: FlankEvent | readonly FlankEvent[], opts?: PublishOptions): Promise<PublishResult>;
  /**
   * Shows events on the taps only, for what is done out of band (read receipts): validated like a
   * publish, but not appended, so no consumer group gets them and they may be missed.
   */
  announce(events: FlankEvent | readonly FlankEvent[]): Promise<void>;
  consume(opts: ConsumeOptions): Promise<Consumer>;
  /** Live events on channels matching a NATS-style pattern (`*` one token, `>` the rest), e.g. `flank.inbound.>`. */
  tap(pattern: string, handler: TapHandler): Promise<Subscription>;
  health(): Promise<BusHealth>;
  close(opts?: CloseOptions): Promise<void>;
}

export interface BusTuning {
  /** Partitions per topic: the unit of ordering and of sharing work between instances. */
  partitions: number;
  maxAttempts: number;
  /**
   * How long a dead consumer's partitions (and unacked events) stay with it before another takes
   * them; leases are renewed every sixth of it.
   */
  claimTimeoutMs: number;
  dedupTtlSeconds: number;
  /** First retry delay; doubles each attempt up to `retryMaxDelayMs`. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Events read from one partition in one read. */
  batchSize: number;
  /**
   * Events received and not yet acknowledged per consumer (readers may pass it by at most one
   * event each). Size it for the slowest handler: peak rate × p99 handler time (300 msg/s × a
   * 2–3 s model call ≈ 1,000).
   */
  maxInFlight: number;
  /** Approximate cap on events kept per partition stream. */
  streamMaxLen: number;
  /**
   * How long an idle read waits for new events before it asks again: the longest a stop waits for
   * a read in flight (NATS holds a pull request open this long). New events end the wait at once.
   */
  readWaitMs: number;
  /** Whether memory is short: consumers then take no new events until some in hand are done. */
  memoryShort: () => boolean;
  /** A new sampler of the event loop's load: each consumer's handlers at once follow it (handler-slots.ts). */
  loopLoad: () => LoadSampler;
}

export const DEFAULT_TUNING: BusTuning = {
  partitions: 16,
  maxAttempts: 5,
  claimTimeoutMs: 2500,
  dedupTtlSeconds: 7 * 24 * 3600,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 10_000,
  batchSize: 64,
  maxInFlight: 1000,
  streamMaxLen: 100_000,
  readWaitMs: 1000,
  memoryShort: heapNearLimit,
  loopLoad,
};
