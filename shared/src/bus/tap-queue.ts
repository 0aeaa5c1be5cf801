/**
 * Hands tap messages to a handler one at a time without ever blocking the producer: when the
 * handler falls behind by `limit` messages, the oldest are dropped (taps are at-most-once).
 */
export class TapQueue<T> {
  private readonly items: T[] = [];
  private running = false;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly handler: (item: T) => void | Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly limit = 10_000,
  ) {}

  push(item: T): void {
    if (this.closed) return;
    if (this.items.length >= this.limit) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
    if (!this.running) void this.drain();
  }

  close(): void {
    this.closed = true;
    this.items.length = 0;
  }

  private async drain(): Promise<void> {
    this.running = true;
    // Yield first so a publisher's await never runs tap code.
    await new Promise<void>((r) => setImmediate(r));
    while (this.items.length > 0 && !this.closed) {
      const item = this.items.shift() as T;
      try {
        await this.handler(item);
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = false;
  }
}
