import type { OutboundResultData } from "@flank/shared/contract";
import { type Claim, decideClaim, type LedgerRecord, type SendLedger } from "./send-ledger.js";

/** In-process ledger for the embedded mode (one process, so no other instance to agree with). */
export class MemorySendLedger implements SendLedger {
  private readonly records = new Map<string, { record: LedgerRecord; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private get(key: string): LedgerRecord | undefined {
    const entry = this.records.get(key);
    if (entry && entry.expires <= this.now()) this.records.delete(key);
    return this.records.get(key)?.record;
  }

  private set(key: string, record: LedgerRecord): void {
    this.records.set(key, { record, expires: this.now() + this.ttlMs });
  }

  async claim(key: string, owner: string, leaseMs: number): Promise<Claim> {
    const { claim, next } = decideClaim(this.get(key), owner, leaseMs, this.now());
    if (next) this.set(key, next);
    return claim;
  }

  async defer(key: string, attempts: number, delayMs: number): Promise<void> {
    this.set(key, { state: "waiting", attempts, notBefore: this.now() + delayMs });
  }

  async finish(key: string, result: OutboundResultData): Promise<void> {
    this.set(key, { state: "done", result });
  }
}
