/**
 * Starts the calls queued during one event-loop turn together, in one `setImmediate`. nats.js
 * writes its outbound buffer to the socket in a microtask after the first queued command, so
 * publishes started from separate HTTP callbacks each cost a socket write; started together, they
 * share one. Costs each call one turn of latency (well under a millisecond when idle).
 */
export class TurnBatch {
  private queued: (() => void)[] = [];

  run<T>(call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queued.push(() => call().then(resolve, reject)) === 1) setImmediate(() => this.start());
    });
  }

  private start(): void {
    const calls = this.queued;
    this.queued = [];
    for (const call of calls) call();
  }
}
