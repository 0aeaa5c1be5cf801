import type { OutboundResultData } from "@flank/shared/contract";

/**
 * Idempotency for sends (docs/architecture.md "Guarantees"): one record per idempotency key, shared by every
 * sender instance. A key is claimed ("sending", with a lease) before Meta is called and finished
 * with the result, so a redelivered or duplicated request republishes the result instead of
 * sending again.
 *
 * The one duplicate window: a sender that crashes after Meta's 200 but before `finish` leaves a
 * "sending" record; when its lease lapses another instance claims the key and sends again. Meta
 * has no idempotency header, so this cannot be closed from our side; it is as short as one HTTP
 * round trip plus one Redis write.
 */
export type LedgerRecord =
  | { state: "sending"; attempts: number; owner: string; leaseUntil: number }
  | { state: "waiting"; attempts: number; notBefore: number }
  | { state: "done"; result: OutboundResultData };

export type Claim =
  /** Go ahead; `attempts` were made before. */
  | { kind: "claimed"; attempts: number }
  /** Another sender holds the key (or crashed holding it): look again in `retryInMs`. */
  | { kind: "busy"; retryInMs: number }
  /** A retry is scheduled for later: this copy is a duplicate and can be dropped. */
  | { kind: "early"; retryInMs: number }
  | { kind: "done"; result: OutboundResultData };

export interface SendLedger {
  claim(key: string, owner: string, leaseMs: number): Promise<Claim>;
  /** Releases the key until `delayMs` from now, remembering the attempts made. */
  defer(key: string, attempts: number, delayMs: number): Promise<void>;
  finish(key: string, result: OutboundResultData): Promise<void>;
}

/** The claim rule both adapters implement (the Redis one in Lua). */
export function decideClaim(
  record: LedgerRecord | undefined,
  owner: string,
  leaseMs: number,
  now: number,
): { claim: Claim; next?: LedgerRecord } {
  if (record?.state === "done") return { claim: { kind: "done", result: record.result } };
  if (record?.state === "sending" && record.leaseUntil > now && record.owner !== owner) {
    return { claim: { kind: "busy", retryInMs: record.leaseUntil - now } };
  }
  if (record?.state === "waiting" && record.notBefore > now) {
    return { claim: { kind: "early", retryInMs: record.notBefore - now } };
  }
  const attempts = record?.attempts ?? 0;
  return {
    claim: { kind: "claimed", attempts },
    next: { state: "sending", attempts, owner, leaseUntil: now + leaseMs },
  };
}
