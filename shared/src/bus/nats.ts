import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  StringCodec,
} from "nats";
import type { Logger } from "pino";
import {
  NATS_LEASE_BUCKET,
  NATS_STREAM,
  NATS_WORK_PREFIX,
  natsDurableName,
  natsWorkSubject,
  type Topic,
} from "../events/names.js";
import { type ConnectOptions, connectWithin, pause } from "../lifecycle/connect.js";
import type { AppendItem, BusBackend, PartitionReader } from "./backend.js";
import { type BusHealth, type BusTuning, DEFAULT_TUNING } from "./bus.js";
import { NatsLeases } from "./nats-leases.js";
import { NatsReader } from "./nats-reader.js";
import { PartitionedBus } from "./partitioned-bus.js";
import { TurnBatch } from "./turn-batch.js";

const sc = StringCodec();
const STREAM_NOT_FOUND = 10059;
const STREAM_EXISTS = 10058;
const CONSUMER_NOT_FOUND = 10014;

const apiCode = (err: unknown): number | undefined =>
  (err as { api_error?: { err_code?: number } }).api_error?.err_code;

/** Tap channels carry conversation ids: skip any that is not a plain NATS subject. */
const publishable = (subject: string): boolean =>
  subject.split(".").every((t) => t !== "" && !/[\s*>]/.test(t));

type NatsTuning = Pick<
  BusTuning,
  "claimTimeoutMs" | "batchSize" | "maxInFlight" | "dedupTtlSeconds" | "streamMaxLen"
>;

/**
 * JetStream backend (docs/architecture.md "Guarantees"). Work: one stream `FLANK` over `flankq.<topic>.<partition>`,
 * one durable pull consumer per (group, topic, partition). Taps: core NATS subjects `flank.…`.
 * Leases: the `flank-leases` KV bucket.
 */
export class NatsBackend implements BusBackend {
  readonly kind = "nats" as const;
  private closing: Promise<void> | undefined;
  private readonly publishes = new TurnBatch();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly leases: NatsLeases,
    private readonly tuning: NatsTuning,
    private readonly log: Logger,
  ) {}

  static async connect(
    url: string,
    log: Logger,
    tuning: Partial<BusTuning> = {},
    opts: ConnectOptions = {},
  ): Promise<NatsBackend> {
    const t = { ...DEFAULT_TUNING, ...tuning };
    const nc = await connectWithin(
      { service: "NATS", url, variable: "NATS_URL" },
      async (signal, failed) => {
        // A refused first connection fails at once: try again until the deadline or a signal.
        for (;;) {
          try {
            // noAsyncTraces: otherwise every request (each JetStream publish) captures an Error stack
            // up front, in case it fails: a tenth of the gateway's CPU at ingest.
            const nc = await connect({
              servers: url,
              name: "flank-bus",
              maxReconnectAttempts: -1,
              noAsyncTraces: true,
              timeout: 2000,
            });
            if (!signal.aborted) return nc;
            await nc.close();
            throw new Error("connected after the deadline");
          } catch (err) {
            failed(err);
            await pause(250, signal);
            if (signal.aborted) throw err;
          }
        }
      },
      opts,
    );
    try {
      const jsm = await nc.jetstreamManager();
      const js = nc.jetstream();
      await ensureStream(jsm, t, log);
      const kv = await js.views.kv(NATS_LEASE_BUCKET, { history: 1 });
      void watchStatus(nc, log);
      return new NatsBackend(nc, js, jsm, new NatsLeases(kv), t, log);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /**
   * NATS 2.9 has no atomic multi-message publish, so items go out one by one, in order, each
   * awaited (a failure stops the rest, so no later event overtakes a missing one). A dedup key is
   * the JetStream msg id: when a webhook is retried after a half-published batch, the items already
   * stored come back as duplicates and the rest are appended, so the batch completes without
   * duplicates. The stream's duplicate window (set when it is created) is the dedup TTL; the
   * `dedupTtlSeconds` argument is not used per call.
   */
  async append(items: readonly AppendItem[], _dedupTtlSeconds: number): Promise<boolean[]> {
    const seen = new Set<string>();
    const duplicate: boolean[] = [];
    const payloads = items.map((item) => sc.encode(item.raw));
    for (const [i, item] of items.entries()) {
      if (item.dedupKey !== undefined && seen.has(item.dedupKey)) {
        duplicate.push(true);
        continue;
      }
      if (item.dedupKey !== undefined) seen.add(item.dedupKey);
      const ack = await this.publishes.run(() =>
        this.js.publish(
          natsWorkSubject(item.topic, item.partition),
          payloads[i],
          item.dedupKey !== undefined ? { msgID: item.dedupKey } : undefined,
        ),
      );
      duplicate.push(ack.duplicate);
    }
    // Taps after the durable append: live, at-most-once, core NATS; each event encoded once.
    items.forEach((item, i) => {
      if (!duplicate[i]) this.tap(item, payloads[i] as Uint8Array);
    });
    return duplicate;
  }

  async broadcast(items: readonly AppendItem[]): Promise<void> {
    for (const item of items) this.tap(item, sc.encode(item.raw));
  }

  private tap(item: AppendItem, payload: Uint8Array): void {
    for (const channel of item.channels) {
      if (publishable(channel)) this.nc.publish(channel, payload);
      else this.log.warn({ channel, eventId: item.id }, "tap channel is not a valid NATS subject; skipped");
    }
  }

  async openPartition(topic: Topic, partition: number, group: string): Promise<PartitionReader> {
    const durable = natsDurableName(group, topic, partition);
    const ensure = () => this.ensureConsumer(durable, natsWorkSubject(topic, partition));
    await ensure();
    return new NatsReader(
      this.nc,
      `$JS.API.CONSUMER.MSG.NEXT.${NATS_STREAM}.${durable}`,
      Math.max(50, Math.floor(this.ackWaitMs() / 3)),
      this.log.child({ durable }),
      ensure,
    );
  }

  /** Shorter than the claim timeout, so a dead holder's deliveries are due before its lease lapses. */
  private ackWaitMs(): number {
    return Math.max(100, Math.floor(this.tuning.claimTimeoutMs / 2));
  }

  private async ensureConsumer(durable: string, subject: string): Promise<void> {
    const ackWait = nanos(this.ackWaitMs());
    // Room for everything one consumer may hold plus a batch left by a previous holder.
    // Redelivery is unlimited: the consumer engine counts attempts and dead-letters by itself.
    const maxAckPending = this.tuning.maxInFlight + this.tuning.batchSize;
    try {
      const info = await this.jsm.consumers.info(NATS_STREAM, durable);
      if (info.config.ack_wait !== ackWait || info.config.max_ack_pending !== maxAckPending) {
        await this.jsm.consumers.update(NATS_STREAM, durable, {
          ack_wait: ackWait,
          max_ack_pending: maxAckPending,
        });
      }
      return;
    } catch (err) {
      if (apiCode(err) !== CONSUMER_NOT_FOUND) throw err;
    }
    // Created from the first retained message: nothing published before the group's first
    // consumer started is lost. Same config everywhere, so concurrent creation is idempotent.
    await this.jsm.consumers.add(NATS_STREAM, {
      durable_name: durable,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      ack_wait: ackWait,
      max_ack_pending: maxAckPending,
      max_deliver: -1,
    });
  }

  async subscribe(pattern: string, onMessage: (channel: string, raw: string) => void) {
    const sub = this.nc.subscribe(pattern, {
      callback: (err, msg) => {
        if (err) this.log.warn({ err, pattern }, "nats tap subscription failed");
        else onMessage(msg.subject, sc.decode(msg.data));
      },
    });
    await this.nc.flush(); // the server has the subscription before the caller publishes
    return {
      close: async () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  async health(): Promise<BusHealth> {
    if (this.nc.isClosed()) return { ok: false, backend: "nats", detail: "connection closed" };
    try {
      await this.jsm.getAccountInfo();
      return { ok: true, backend: "nats" };
    } catch (err) {
      return { ok: false, backend: "nats", detail: (err as Error).message };
    }
  }

  close(): Promise<void> {
    this.closing ??= this.nc.isClosed() ? Promise.resolve() : this.nc.drain().catch(() => this.nc.close());
    return this.closing;
  }
}

/**
 * The work stream, created if missing. Limits retention keeps the last `streamMaxLen` events per
 * partition subject (like the Redis MAXLEN), acked or not. The duplicate window is the dedup TTL:
 * the server keeps every msg id of the window in memory (roughly 100 bytes each), so a week at
 * 10 events/s costs about 600 MB; shorten `dedupTtlSeconds` where that matters (Meta retries
 * webhooks for up to a few days).
 */
async function ensureStream(jsm: JetStreamManager, t: NatsTuning, log: Logger): Promise<void> {
  const duplicateWindow = nanos(t.dedupTtlSeconds * 1000);
  try {
    const info = await jsm.streams.info(NATS_STREAM);
    if (info.config.duplicate_window !== duplicateWindow) {
      log.warn(
        { stream: NATS_STREAM, have: info.config.duplicate_window, want: duplicateWindow },
        "NATS stream duplicate window differs from the dedup TTL; left as is",
      );
    }
    return;
  } catch (err) {
    if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
  }
  try {
    await jsm.streams.add({
      name: NATS_STREAM,
      subjects: [`${NATS_WORK_PREFIX}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: t.streamMaxLen,
      duplicate_window: duplicateWindow,
    });
  } catch (err) {
    if (apiCode(err) !== STREAM_EXISTS) throw err; // another instance created it first
  }
}

/** Lost and back once per outage, at debug: the health watch warns once (health-log.ts). */
async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  let down = false;
  for await (const s of nc.status()) {
    if (s.type === "disconnect" && !down) {
      down = true;
      log.debug({ server: String(s.data) }, "nats connection lost; reconnecting");
    } else if (s.type === "reconnect" && down) {
      down = false;
      log.debug({ server: String(s.data) }, "nats connection back");
    } else if (s.type === "error") log.warn({ err: String(s.data) }, "nats connection error");
  }
}

export async function createNatsBus(
  url: string,
  log: Logger,
  tuning: Partial<BusTuning> = {},
  connect: ConnectOptions = {},
): Promise<PartitionedBus> {
  return new PartitionedBus(await NatsBackend.connect(url, log, tuning, connect), log, tuning);
}
