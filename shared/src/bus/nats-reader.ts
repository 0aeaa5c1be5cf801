import { type Msg, type NatsConnection, StringCodec } from "nats";
import type { Logger } from "pino";
import type { Delivery, PartitionReader } from "./backend.js";
import { deliveryCount, type PullResult, pull } from "./nats-pull.js";

interface NatsDelivery extends Delivery {
  /** The JetStream ack subject of this delivery. */
  reply: string;
  /** When it arrived (ms): progress is signalled only for deliveries held a while. */
  at: number;
}

const sc = StringCodec();
/** Ended with nothing because the consumer is missing or nothing answered. */
const lost = (r: PullResult): boolean =>
  r.status === -1 || r.status === 503 || (r.status === 409 && /deleted/i.test(r.description));
const ACK_TIMEOUT_MS = 5000;
const ACK = sc.encode("+ACK");
const WPI = sc.encode("+WPI");

/**
 * One durable pull consumer (a group's view of one topic partition), read by whoever holds the
 * partition's lease.
 *
 * Order. JetStream hands out pending redeliveries before new messages, so what a holder got and
 * never acked comes back first. A holder that dies leaves its deliveries unacked; the next holder
 * gets the partition only after the lease lapses (the claim timeout, renewed every third of it),
 * which is later than the ack wait (half the claim timeout) after the last `working()` signal:
 * by then those deliveries are due for redelivery and come before anything newer. A holder that
 * gives a partition up cleanly acks everything it received before the lease is released.
 *
 * Requests. JetStream 2.9 cannot end a pull request early, and a message it delivers to a
 * request nobody listens to any more stays invisible for the ack wait while newer ones flow:
 * that would break order on a handover. So `read` never abandons a request: while events flow it
 * asks with no_wait (answered at once, partial batches included); when that is empty it waits
 * server-side for one message, then tops up with no_wait. `close` waits for the request in flight
 * (at most `blockMs`) and what it brings is returned to the caller, which handles and acks it
 * before releasing the lease.
 */
export class NatsReader implements PartitionReader {
  private closed = false;
  private busy = true;
  private inflight: Promise<unknown> = Promise.resolve();
  private readonly outstanding = new Set<NatsDelivery>();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly nextSubject: string,
    private readonly progressMs: number,
    private readonly log: Logger,
    /** Recreates the durable consumer when the server no longer has it. */
    private readonly recreate: () => Promise<void>,
  ) {
    // Slow handlers: tell the server what is still in hand, so it is not redelivered.
    this.ticker = setInterval(() => this.working(), progressMs);
    this.ticker.unref();
  }

  read(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed) return Promise.resolve([]);
    const reading = this.fetch(Math.max(1, max), Math.max(10, blockMs));
    this.inflight = reading.catch(() => undefined);
    return reading;
  }

  private async fetch(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.busy) {
      const now = await pull(this.nc, this.nextSubject, max, 0);
      if (now.msgs.length > 0 || this.closed) return this.track(now.msgs);
      if (lost(now)) return this.recover(now);
    }
    if (this.closed) return [];
    const first = await pull(this.nc, this.nextSubject, 1, blockMs);
    // Idle: next time, go straight to waiting (a waiting pull also returns at once when there is one).
    this.busy = first.msgs.length > 0;
    if (first.msgs.length === 0) {
      if (lost(first)) return this.recover(first);
      // 409 (e.g. max ack pending) answers at once: do not spin on it.
      if (first.status === 409) await new Promise((r) => setTimeout(r, Math.min(blockMs, 250)));
      return [];
    }
    const msgs = [...first.msgs];
    if (max > 1 && !this.closed) {
      try {
        msgs.push(...(await pull(this.nc, this.nextSubject, max - 1, 0)).msgs);
      } catch (err) {
        // Keep the message already delivered; the rest waits for the next read.
        this.log.warn({ err, subject: this.nextSubject }, "nats top-up pull failed");
      }
    }
    return this.track(msgs);
  }

  /** The consumer is gone (deleted under us, or the stream was): make it again, then read on. */
  private async recover(result: PullResult): Promise<Delivery[]> {
    if (this.closed) return [];
    this.log.warn(
      { subject: this.nextSubject, status: result.status, detail: result.description },
      "nats pull unanswered; recreating the consumer",
    );
    await this.recreate();
    return [];
  }

  private track(msgs: Msg[]): Delivery[] {
    const out: NatsDelivery[] = [];
    for (const msg of msgs) {
      const count = msg.reply ? deliveryCount(msg.reply) : undefined;
      if (!msg.reply || count === undefined) {
        this.log.error(
          { subject: msg.subject, reply: msg.reply },
          "nats message without an ack subject ignored",
        );
        continue;
      }
      const delivery = {
        raw: sc.decode(msg.data),
        previousDeliveries: count - 1,
        reply: msg.reply,
        at: Date.now(),
      };
      this.outstanding.add(delivery);
      out.push(delivery);
    }
    return out;
  }

  /** Acks and waits for the server to confirm: an unconfirmed ack is sent again. */
  async ack(deliveries: readonly Delivery[]): Promise<void> {
    const list = deliveries as readonly NatsDelivery[];
    await Promise.all(list.map((d) => this.nc.request(d.reply, ACK, { timeout: ACK_TIMEOUT_MS })));
    for (const d of list) this.outstanding.delete(d);
  }

  private working(): void {
    const before = Date.now() - this.progressMs;
    for (const d of this.outstanding) {
      if (d.at > before) continue;
      try {
        this.nc.publish(d.reply, WPI);
      } catch {
        return; // connection closed: nothing to keep alive
      }
    }
  }

  /**
   * Stops reading. Progress signals stop too, so a handler that never finishes (a hung or
   * abandoned consumer) has its deliveries redelivered to the next holder after the ack wait.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    await this.inflight;
  }
}
