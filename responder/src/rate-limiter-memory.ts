import { type Bucket, type BucketState, type RateLimiter, refill, waitFor } from "./rate-limiter.js";

/** In-process token buckets for the embedded mode and unit tests. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly states = new Map<string, BucketState>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(buckets: readonly Bucket[]): Promise<number> {
    const now = this.now();
    const states = buckets.map((b) => refill(this.states.get(b.key), b, now));
    const wait = Math.max(0, ...states.map((s, i) => waitFor(s, buckets[i] as Bucket, now)));
    buckets.forEach((b, i) => {
      const s = states[i] as BucketState;
      this.states.set(b.key, wait === 0 ? { ...s, tokens: s.tokens - 1 } : s);
    });
    return wait;
  }

  async block(key: string, ms: number): Promise<void> {
    const now = this.now();
    const state = this.states.get(key);
    const until = now + ms;
    if (!state) this.states.set(key, { tokens: 0, ts: now, blockedUntil: until });
    else this.states.set(key, { ...state, blockedUntil: Math.max(state.blockedUntil, until) });
  }
}
