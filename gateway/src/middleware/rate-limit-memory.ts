import { type Bucket, type BucketState, refill, type TokenBucketLimiter, waitMs } from "./rate-limit.js";

/** Full buckets are forgotten every SWEEP_EVERY takes: a full bucket is the same as none. */
const SWEEP_EVERY = 1000;

/** In-process token buckets: the embedded mode, a single gateway, and tests (with a fake clock). */
export class MemoryTokenBucketLimiter implements TokenBucketLimiter {
  private readonly states = new Map<string, { state: BucketState; bucket: Bucket }>();
  private takes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    const now = this.now();
    if (++this.takes % SWEEP_EVERY === 0) this.sweep(now);
    const states = buckets.map((b) => refill(this.states.get(b.key)?.state, b, now));
    const wait = Math.max(0, ...states.map((s, i) => waitMs(s, buckets[i] as Bucket)));
    buckets.forEach((bucket, i) => {
      const s = states[i] as BucketState;
      this.states.set(bucket.key, { bucket, state: wait === 0 ? { ...s, tokens: s.tokens - 1 } : s });
    });
    return wait;
  }

  /** Buckets held right now (for tests of the sweep). */
  get size(): number {
    return this.states.size;
  }

  private sweep(now: number): void {
    for (const [key, { state, bucket }] of this.states) {
      if (refill(state, bucket, now).tokens >= bucket.burst) this.states.delete(key);
    }
  }
}
