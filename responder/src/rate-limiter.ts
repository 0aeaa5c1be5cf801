import type { Bucket } from "@flank/shared/rate-limit";

/**
 * Send pacing shared by every sender instance (docs/whatsapp-contract.md "Window and pacing"): which buckets a send draws from.
 * The buckets themselves are shared/src/rate-limit (Redis in production, memory embedded).
 */
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
