/** A token bucket: `ratePerSec` tokens refill continuously, up to `burst`. */
export interface Bucket {
  key: string;
  ratePerSec: number;
  burst: number;
}

/**
 * Pacing shared by every sender instance (contract §10). Redis in production, memory in the
 * embedded mode; both pass the same suite (rate-limiter.contract.ts).
 */
export interface RateLimiter {
  /** Takes one token from every bucket, or none: 0 when taken, else ms until all could be. */
  take(buckets: readonly Bucket[]): Promise<number>;
  /** Empties a bucket for `ms` (Meta told us it is over: 130429 for a number, 131056 for a pair). */
  block(key: string, ms: number): Promise<void>;
}

export interface PacingOptions {
  /** Messages per second per business number (Meta's default throughput is 80). */
  perNumberRate: number;
  /** Sustained messages per second to one user (Meta: 1 per 6 s). */
  perRecipientRate: number;
  /** Messages one user can get at once before the sustained rate applies (Meta allows up to 45). */
  perRecipientBurst: number;
}

export const numberBucketKey = (phoneNumberId: string) => `number:${phoneNumberId}`;
export const recipientBucketKey = (phoneNumberId: string, recipient: string) =>
  `pair:${phoneNumberId}:${recipient.replace(/^\+/, "")}`;

/** The buckets a send draws from: read receipts are not messages to the user, so no pair bucket. */
export function bucketsFor(
  pacing: PacingOptions,
  phoneNumberId: string,
  recipient: string | undefined,
  isMessage: boolean,
): Bucket[] {
  const buckets: Bucket[] = [
    {
      key: numberBucketKey(phoneNumberId),
      ratePerSec: pacing.perNumberRate,
      burst: Math.max(1, pacing.perNumberRate),
    },
  ];
  if (isMessage && recipient) {
    buckets.push({
      key: recipientBucketKey(phoneNumberId, recipient),
      ratePerSec: pacing.perRecipientRate,
      burst: pacing.perRecipientBurst,
    });
  }
  return buckets;
}

/**
 * The bucket arithmetic both adapters implement (the Redis one in Lua): refill since `ts`,
 * honour a block, then either take a token or report how long until one is there.
 */
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

export function waitFor(state: BucketState, bucket: Bucket, now: number): number {
  const blocked = Math.max(0, state.blockedUntil - now);
  const short = state.tokens >= 1 ? 0 : Math.ceil(((1 - state.tokens) / bucket.ratePerSec) * 1000);
  return Math.max(blocked, short);
}
