/**
 * The bound on events a consumer holds (received, not yet acknowledged), shared by its partition
 * readers. A reader waits while the bound is reached, and otherwise reads its share of the free
 * room (at least one event), so the readers together stay within the bound plus one event per
 * reader. Readers never hold room while they wait for events: a reader blocked on an idle
 * partition takes nothing from the others. While `pressure()` says memory is short (the heap near
 * its limit, heap-pressure.ts), readers also wait, for as long as the consumer holds any event:
 * each one finished frees memory, and a consumer holding none reads again, so it cannot stall.
 *
 * Once the bound is reached, readers wait until an eighth of it is free again, then share that
 * room. Without this every acknowledgement woke every reader to read one event each: under
 * overload a read (and an ack) per event per group, where a read of several costs the same
 * command. XREADGROUP and XACK went from 2.5 to 1.5 a message at saturation (docs/benchmarks.md).
 */
export class InFlightLimit {
  private used = 0;
  private readers = 0;
  private waiters: (() => void)[] = [];
  /** The bound was reached: no reads until `used` is down to `max - refill`. */
  private full = false;
  private readonly refill: number;

  constructor(
    readonly max: number,
    private readonly pressure: () => boolean = () => false,
  ) {
    if (!(max >= 1)) throw new RangeError(`in-flight bound must be at least 1, got ${max}`);
    this.refill = Math.max(1, Math.floor(max / 8));
  }

  get inFlight(): number {
    return this.used;
  }

  /** A reader joins the consumer; the returned function is called when it leaves. */
  join(): () => void {
    this.readers++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.readers--;
    };
  }

  /**
   * How many events this reader may read now (at least 1), once the consumer is below its bound
   * and memory is not short;
   * 0 when `cancelled()` turns true while waiting (a stopping reader is woken by `wake()`).
   */
  async room(cancelled: () => boolean): Promise<number> {
    while (this.blocked() || (this.used > 0 && this.pressure())) {
      if (cancelled()) return 0;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (cancelled()) return 0;
    return Math.max(1, Math.floor((this.max - this.used) / Math.max(1, this.readers)));
  }

  private blocked(): boolean {
    if (this.used >= this.max) this.full = true;
    else if (this.used <= this.max - this.refill) this.full = false;
    return this.full;
  }

  /** Events received. */
  add(n: number): void {
    this.used += n;
  }

  /** Events acknowledged (or left for the next holder). */
  release(n: number): void {
    if (n <= 0) return;
    this.used -= n;
    this.wake();
  }

  /** Wakes every waiting reader to look again (room was freed, or a reader stops). */
  wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const resolve of waiting) resolve();
  }
}
