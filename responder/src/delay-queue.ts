/**
 * Requests waiting for a retry or for pacing, kept outside the bus so a waiting request never
 * holds up other conversations: a bus partition acks a batch only when all of it is done, so a
 * handler sleeping for seconds would stall every conversation sharing that partition.
 * Entries are serialized events; `due` leases them, so one that is taken but never acked (the
 * process died before re-publishing) becomes due again after the lease.
 */
export interface DelayQueue {
  schedule(raw: string, delayMs: number): Promise<void>;
  /** Entries due now, at most `max`, each hidden for `leaseMs` until acked. */
  due(max: number, leaseMs: number): Promise<string[]>;
  ack(raw: string): Promise<void>;
}

export class MemoryDelayQueue implements DelayQueue {
  private readonly entries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async schedule(raw: string, delayMs: number): Promise<void> {
    this.entries.set(raw, this.now() + delayMs);
  }

  async due(max: number, leaseMs: number): Promise<string[]> {
    const now = this.now();
    const out = [...this.entries]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, max)
      .map(([raw]) => raw);
    for (const raw of out) this.entries.set(raw, now + leaseMs);
    return out;
  }

  async ack(raw: string): Promise<void> {
    this.entries.delete(raw);
  }

  get size(): number {
    return this.entries.size;
  }
}
