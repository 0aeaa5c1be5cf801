import {
  type Bucket,
  type BucketState,
  blocked,
  blockMs,
  keepBlockedMs,
  keepMs,
  reserveAll,
  type TokenBuckets,
  takeAll,
} from "./token-bucket.js";

/** Expired buckets are dropped every SWEEP_EVERY takes, so unused keys do not pile up. */
const SWEEP_EVERY = 1000;

interface Kept {
  state: BucketState;
  /**
   * When the bucket is forgotten (counts as full): until it would be full again, and at least a
   * minute past its block, as in Redis (token-bucket-redis.ts); never earlier than a keep before.
   */
  expiresAt: number;
}

/** In-process token buckets: the embedded mode, a single instance, and tests (with a fake clock). */
export class MemoryTokenBuckets implements TokenBuckets {
  private readonly kept = new Map<string, Kept>();
  private takes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    const now = this.now();
    if (++this.takes % SWEEP_EVERY === 0) this.sweep(now);
    const known = buckets.map((b) => this.live(b.key, now));
    const { wait, states } = takeAll(known, buckets, now);
    buckets.forEach((b, i) => {
      this.keep(b.key, states[i] as BucketState, now + keepMs(b), now);
    });
    return wait;
  }

  async reserve(buckets: readonly Bucket[]): Promise<number> {
    const now = this.now();
    const { wait, states } = reserveAll(
      buckets.map((b) => this.live(b.key, now)),
      buckets,
      now,
    );
    buckets.forEach((b, i) => {
      this.keep(b.key, states[i] as BucketState, now + wait + keepMs(b), now);
    });
    return wait;
  }

  async block(key: string, ms: number): Promise<void> {
    const now = this.now();
    this.keep(key, blocked(this.live(key, now), now + blockMs(ms), now), now + keepBlockedMs(ms), now);
  }

  /** Buckets held right now (for tests of the sweep). */
  get size(): number {
    return this.kept.size;
  }

  private live(key: string, now: number): BucketState | undefined {
    const kept = this.kept.get(key);
    return kept && kept.expiresAt > now ? kept.state : undefined;
  }

  private keep(key: string, state: BucketState, expiresAt: number, now: number): void {
    const previous = this.kept.get(key);
    const longer = previous && previous.expiresAt > now ? Math.max(previous.expiresAt, expiresAt) : expiresAt;
    this.kept.set(key, { state, expiresAt: longer });
  }

  private sweep(now: number): void {
    for (const [key, { expiresAt }] of this.kept) if (expiresAt <= now) this.kept.delete(key);
  }
}
