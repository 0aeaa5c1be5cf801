import type { Topic } from "../events/names.js";
import type { BusHealth } from "./bus.js";

/** One event ready for a backend: serialized once, partition decided. */
export interface AppendItem {
  id: string;
  topic: Topic;
  partition: number;
  /** Tap channels to publish on (topic, conversation, and agent where there is one). */
  channels: readonly string[];
  raw: string;
  dedupKey?: string;
}

/** An event delivered to a consumer, not yet acknowledged. */
export interface Delivery {
  raw: string;
  /** Times delivered before this delivery (0 the first time). */
  previousDeliveries: number;
}

/**
 * The ordered log of one topic partition, as seen by one consumer group. Reads go on while earlier
 * deliveries are still being handled: each read returns events not returned before.
 */
export interface PartitionReader {
  /**
   * The next events: first those delivered earlier and never acked (a crashed holder's), then new
   * ones; resolves empty after about `blockMs` with nothing to read (at once for 0), or when closed.
   */
  read(max: number, blockMs: number): Promise<Delivery[]>;
  /** Acknowledges deliveries, in any order: each on its own once its effects are stored. */
  ack(deliveries: readonly Delivery[]): Promise<void>;
  /** Stops a pending read; unacked deliveries stay pending for the next holder. */
  close(): Promise<void>;
}

/** Leases that give one consumer instance a partition at a time, plus group membership. */
export interface LeaseStore {
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Extends the owner's leases, one answer per name. A lease that lapsed and nobody took (a store
   * restart lost it) is taken again; one held by another owner is not.
   */
  renew(names: readonly string[], owner: string, ttlMs: number): Promise<boolean[]>;
  release(name: string, owner: string): Promise<void>;
  /** Records `owner` as alive in `group` and returns how many members are alive. */
  heartbeat(group: string, owner: string, ttlMs: number): Promise<number>;
  leave(group: string, owner: string): Promise<void>;
}

export interface TapSource {
  /** Calls `onMessage` for each message on channels matching the glob-ish pattern. */
  subscribe(
    pattern: string,
    onMessage: (channel: string, raw: string) => void,
  ): Promise<{ close(): Promise<void> }>;
}

/** What an adapter implements; PartitionedBus turns it into a Bus. */
export interface BusBackend extends TapSource {
  readonly kind: BusHealth["backend"];
  readonly leases: LeaseStore;
  /**
   * Appends the items durably and publishes each on its taps. Items whose dedupKey was seen are
   * skipped (returned true at their index). All items are appended, or none (where the backend allows).
   */
  append(items: readonly AppendItem[], dedupTtlSeconds: number): Promise<boolean[]>;
  /** Publishes the items on their taps only: nothing durable, at-most-once. */
  broadcast(items: readonly AppendItem[]): Promise<void>;
  openPartition(topic: Topic, partition: number, group: string): Promise<PartitionReader>;
  health(): Promise<BusHealth>;
  close(): Promise<void>;
}
