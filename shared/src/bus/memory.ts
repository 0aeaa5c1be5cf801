import type { Logger } from "pino";
import { BoundedMap } from "../bounded-map.js";
import type { Topic } from "../events/names.js";
import type { AppendItem, BusBackend, Delivery, LeaseStore, PartitionReader } from "./backend.js";
import type { BusHealth, BusTuning } from "./bus.js";
import { PartitionedBus } from "./partitioned-bus.js";

interface Pending {
  raw: string;
  deliveries: number;
}

interface MemoryDelivery extends Delivery {
  seq: number;
}

/** One partition stream: the same semantics as a Redis stream with consumer groups. */
class MemoryStream {
  private readonly entries: { seq: number; raw: string }[] = [];
  private nextSeq = 1;
  private readonly groups = new Map<string, { cursor: number; pending: Map<number, Pending> }>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxLen: number) {}

  append(raw: string): void {
    this.entries.push({ seq: this.nextSeq++, raw });
    if (this.entries.length > this.maxLen) this.entries.splice(0, this.entries.length - this.maxLen);
    for (const wake of this.waiters) wake();
  }

  group(name: string) {
    let g = this.groups.get(name);
    if (!g) {
      g = { cursor: this.entries[0]?.seq ?? this.nextSeq, pending: new Map() };
      this.groups.set(name, g);
    }
    return g;
  }

  readNew(group: string, max: number): MemoryDelivery[] {
    const g = this.group(group);
    const out: MemoryDelivery[] = [];
    // Seqs are contiguous: the cursor's index is its distance from the oldest entry kept.
    const from = Math.max(0, g.cursor - (this.entries[0]?.seq ?? g.cursor));
    for (const entry of this.entries.slice(from, from + max)) {
      g.pending.set(entry.seq, { raw: entry.raw, deliveries: 1 });
      out.push({ seq: entry.seq, raw: entry.raw, previousDeliveries: 0 });
      g.cursor = entry.seq + 1;
    }
    return out;
  }

  /** Pending entries after `after`, in order (a Map keeps insertion order, which is seq order). */
  readPending(group: string, after: number, max: number): MemoryDelivery[] {
    const out: MemoryDelivery[] = [];
    for (const [seq, p] of this.group(group).pending) {
      if (out.length >= max) break;
      if (seq <= after) continue;
      out.push({ seq, raw: p.raw, previousDeliveries: p.deliveries });
      p.deliveries++;
    }
    return out;
  }

  ack(group: string, seqs: number[]): void {
    const { pending } = this.group(group);
    for (const seq of seqs) pending.delete(seq);
  }

  wait(ms: number): { promise: Promise<void>; cancel: () => void } {
    let wake = () => {};
    const promise = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), ms);
      wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
    return { promise, cancel: () => wake() };
  }
}

class MemoryReader implements PartitionReader {
  /** The seq after which pending entries are read next; undefined once they are all read. */
  private pendingAfter: number | undefined = 0;
  private closed = false;
  private cancelWait: (() => void) | undefined;

  constructor(
    private readonly stream: MemoryStream,
    private readonly group: string,
  ) {}

  async read(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed) return [];
    if (this.pendingAfter !== undefined) {
      const pending = this.stream.readPending(this.group, this.pendingAfter, max);
      const last = pending[pending.length - 1];
      if (last) {
        this.pendingAfter = last.seq;
        return pending;
      }
      this.pendingAfter = undefined;
    }
    const fresh = this.stream.readNew(this.group, max);
    if (fresh.length > 0 || blockMs <= 0) return fresh;
    const { promise, cancel } = this.stream.wait(blockMs);
    this.cancelWait = cancel;
    await promise;
    this.cancelWait = undefined;
    return this.closed ? [] : this.stream.readNew(this.group, max);
  }

  async ack(deliveries: readonly Delivery[]): Promise<void> {
    this.stream.ack(
      this.group,
      deliveries.map((d) => (d as MemoryDelivery).seq),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelWait?.();
  }
}

export class MemoryLeases implements LeaseStore {
  private readonly leases = new Map<string, { owner: string; expires: number }>();
  private readonly members = new Map<string, Map<string, number>>();

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.leases.get(name);
    if (lease && lease.expires > Date.now()) return false;
    this.leases.set(name, { owner, expires: Date.now() + ttlMs });
    return true;
  }

  async renew(names: readonly string[], owner: string, ttlMs: number): Promise<boolean[]> {
    const now = Date.now();
    return names.map((name) => {
      const lease = this.leases.get(name);
      const free = !lease || lease.expires <= now;
      if (!free && lease.owner !== owner) return false;
      this.leases.set(name, { owner, expires: now + ttlMs });
      return true;
    });
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }

  async heartbeat(group: string, owner: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    const members = this.members.get(group) ?? new Map<string, number>();
    this.members.set(group, members);
    members.set(owner, now + ttlMs);
    for (const [m, expires] of members) if (expires <= now) members.delete(m);
    return members.size;
  }

  async leave(group: string, owner: string): Promise<void> {
    this.members.get(group)?.delete(owner);
  }
}

/** In-process backend for the embedded mode and unit tests; nothing survives a restart. */
export class MemoryBackend implements BusBackend {
  readonly kind = "memory" as const;
  readonly leases = new MemoryLeases();
  private readonly streams = new Map<string, MemoryStream>();
  private readonly dedup: BoundedMap<string, number>;
  private readonly subscribers = new Set<(channel: string, raw: string) => void>();

  /**
   * `maxDedupKeys`: published dedup keys remembered, the oldest forgotten first. Their TTL is days
   * (BUS_DEDUP_TTL_SECONDS), so without a bound a busy embedded process kept every key of the week
   * and, past 100,000, scanned them all on every publish.
   */
  constructor(
    private readonly maxLen: number,
    maxDedupKeys = 100_000,
  ) {
    this.dedup = new BoundedMap(maxDedupKeys);
  }

  private stream(topic: Topic, partition: number): MemoryStream {
    const key = `${topic}:${partition}`;
    let s = this.streams.get(key);
    if (!s) {
      s = new MemoryStream(this.maxLen);
      this.streams.set(key, s);
    }
    return s;
  }

  async append(items: readonly AppendItem[], dedupTtlSeconds: number): Promise<boolean[]> {
    const now = Date.now();
    const seen = new Set<string>();
    const duplicate = items.map((item) => {
      if (!item.dedupKey) return false;
      const expires = this.dedup.get(item.dedupKey);
      const dup = (expires !== undefined && expires > now) || seen.has(item.dedupKey);
      seen.add(item.dedupKey);
      return dup;
    });
    items.forEach((item, i) => {
      if (duplicate[i]) return;
      if (item.dedupKey) this.dedup.set(item.dedupKey, now + dedupTtlSeconds * 1000);
      this.stream(item.topic, item.partition).append(item.raw);
      for (const channel of item.channels) for (const deliver of this.subscribers) deliver(channel, item.raw);
    });
    return duplicate;
  }

  async broadcast(items: readonly AppendItem[]): Promise<void> {
    for (const item of items)
      for (const channel of item.channels) for (const deliver of this.subscribers) deliver(channel, item.raw);
  }

  async openPartition(topic: Topic, partition: number, group: string): Promise<PartitionReader> {
    const stream = this.stream(topic, partition);
    stream.group(group);
    return new MemoryReader(stream, group);
  }

  async subscribe(_pattern: string, onMessage: (channel: string, raw: string) => void) {
    this.subscribers.add(onMessage);
    return { close: async () => void this.subscribers.delete(onMessage) };
  }

  async health(): Promise<BusHealth> {
    return { ok: true, backend: "memory" };
  }

  /** Buses may share one backend (the embedded mode, tests); each closes its own taps. */
  async close(): Promise<void> {}
}

export function createMemoryBus(log: Logger, tuning: Partial<BusTuning> = {}): PartitionedBus {
  return new PartitionedBus(new MemoryBackend(tuning.streamMaxLen ?? 100_000), log, tuning);
}
