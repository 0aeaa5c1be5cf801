/** A token bucket: `ratePerSec` tokens refill continuously, up to `burst`. */
export interface Bucket {
  key: string;
  ratePerSec: number;
  burst: number;
}

/**
 * Token buckets, in memory (one process) or in Redis (shared by every instance). Both adapters run
 * the arithmetic below (the Redis one in Lua) and pass one contract suite (token-bucket.contract.ts).
 */
export interface TokenBuckets {
  /** Takes one token from every bucket, or none: 0 when taken, else ms until all could be. */
  take(buckets: readonly Bucket[]): Promise<number>;
  /**
   * Books the earliest moment every bucket has a token and takes them for that moment: the ms to
   * wait before using it (0 = now). Callers queue fairly instead of polling (the sender's pacing).
   */
  reserve(buckets: readonly Bucket[]): Promise<number>;
  /** Holds a bucket for `ms` whatever its tokens (the responder: Meta said a number or pair is over). */
  block(key: string, ms: number): Promise<void>;
}

export interface BucketState {
  tokens: number;
  ts: number;
  blockedUntil: number;
}

export function refill(state: BucketState | undefined, bucket: Bucket, now: number): BucketState {
  if (!state) return { tokens: bucket.burst, ts: now, blockedUntil: 0 };
  const elapsed = Math.max(0, now - state.ts) / 1000;
  return { ...state, tokens: Math.min(bucket.burst, state.tokens + elapsed * bucket.ratePerSec), ts: now };
}

/** Ms until a refilled bucket can give a token: the rest of a block, or until one has refilled. */
export function waitMs(state: BucketState, bucket: Bucket, now: number): number {
  const blocked = Math.max(0, state.blockedUntil - now);
  const short = state.tokens >= 1 ? 0 : Math.ceil(((1 - state.tokens) / bucket.ratePerSec) * 1000);
  return Math.max(blocked, short);
}

/** One take over every bucket, all or none: the states to store and the wait (0 = taken). */
export function takeAll(
  states: readonly (BucketState | undefined)[],
  buckets: readonly Bucket[],
  now: number,
): { wait: number; states: BucketState[] } {
  const refilled = buckets.map((b, i) => refill(states[i], b, now));
  const wait = Math.max(0, ...refilled.map((s, i) => waitMs(s, buckets[i] as Bucket, now)));
  return { wait, states: wait === 0 ? refilled.map((s) => ({ ...s, tokens: s.tokens - 1 })) : refilled };
}

/**
 * One reservation over every bucket: the earliest time `at` (≥ now) when each has a token and is
 * not blocked, and each bucket's state just after its token is taken at `at`. A state's `ts` may
 * lie in the future: the bucket is booked until then.
 */
export function reserveAll(
  states: readonly (BucketState | undefined)[],
  buckets: readonly Bucket[],
  now: number,
): { wait: number; states: BucketState[] } {
  const from = buckets.map((b, i) => {
    const state = states[i];
    return refill(state, b, Math.max(now, state?.ts ?? now));
  });
  const at = Math.max(
    now,
    ...from.map((s, i) => {
      const b = buckets[i] as Bucket;
      const ready = s.tokens >= 1 ? s.ts : s.ts + ((1 - s.tokens) / b.ratePerSec) * 1000;
      return Math.max(ready, s.blockedUntil);
    }),
  );
  const next = from.map((s, i) => {
    const taken = refill(s, buckets[i] as Bucket, at);
    return { ...taken, tokens: taken.tokens - 1 };
  });
  return { wait: Math.ceil(at - now), states: next };
}

/** A bucket nobody has drawn from yet starts empty when blocked; a block never shortens another. */
export function blocked(state: BucketState | undefined, until: number, now: number): BucketState {
  if (!state) return { tokens: 0, ts: now, blockedUntil: until };
  return { ...state, blockedUntil: Math.max(state.blockedUntil, until) };
}

/** Whole, non-negative ms: what Redis's PEXPIRE and the stored timestamps take. */
export const blockMs = (ms: number): number => Math.max(0, Math.round(ms));

/**
 * How long a bucket is kept after a take: until it would be full again (a full bucket is the same
 * as none), plus a second of slack. Never shortens a longer keep left by a block.
 */
export const keepMs = (bucket: Bucket): number => Math.ceil((bucket.burst / bucket.ratePerSec) * 1000) + 1000;

/** How long a blocked bucket is kept past its block's end, so it does not return full at once. */
export const BLOCKED_KEEP_MS = 60_000;

/** How long a blocked bucket is kept: a minute past the block (BLOCKED_KEEP_MS). */
export const keepBlockedMs = (ms: number): number => blockMs(ms) + BLOCKED_KEEP_MS;
