import type { Logger } from "pino";
import {
  REDIS_TAPS_KEY,
  redisDedupKey,
  redisLeaseKey,
  redisMembersKey,
  redisStreamKey,
  redisTapChannel,
  type Topic,
  tapChannelsOf,
} from "../events/names.js";
import type { ConnectOptions } from "../lifecycle/connect.js";
import {
  closeRedis,
  connectRedis,
  duplicateConnected,
  type RedisClient,
  RedisClock,
  RedisScript,
} from "../redis/client.js";
import type { AppendItem, BusBackend, Delivery, LeaseStore, PartitionReader } from "./backend.js";
import type { BusHealth, BusTuning } from "./bus.js";
import { PartitionedBus } from "./partitioned-bus.js";
import { RedisTapInterest } from "./redis-tap-interest.js";
import { redisTapGlob } from "./subject.js";

/**
 * Dedup check, XADD and tap PUBLISH for a whole batch in one atomic script (no other command runs
 * between them). A dedup key is checked and set in one step (SET NX EX); the keys are set before
 * the appends, which cannot fail short of Redis running out of memory.
 * An event is published only when some tap wants it: the taps registry (KEYS[1], see
 * RedisTapInterest) is read once per batch, and only when an item has tap channels. Publishing
 * every event whatever listened was five of a message's ~34 commands, for subscribers that are
 * open minutes a day.
 * KEYS: the taps registry, then per item stream and dedup key. ARGV: ttl, maxlen, now (ms), then
 * per item: mode ('1' dedup, '0' no dedup, 't' taps only), raw, and the combined tap channel
 * (redisTapChannel; empty for none).
 */
const APPEND = new RedisScript(String.raw`
local ttl, maxlen, now = ARGV[1], ARGV[2], ARGV[3]
local n = (#KEYS - 1) / 2
local wanted
-- A registered pattern (NATS style) as a Lua pattern over the combined channel's lines; broader
-- than the pattern ('*' spans dots), like the subscriber's PSUBSCRIBE glob: taps filter exactly.
local function tapped(ch)
  if ch == '' then return false end
  if not wanted then
    wanted = {}
    for _, p in ipairs(redis.call('ZRANGE', KEYS[1], now, '+inf', 'BYSCORE')) do
      local lua = p:gsub('[^%w%*>]', '%%%0'):gsub('[%*>]', '[^\n]*')
      wanted[#wanted + 1] = '\n' .. lua .. '\n'
    end
  end
  for _, p in ipairs(wanted) do
    if string.find(ch, p) then return true end
  end
  return false
end
local dup, seen, out = {}, {}, {}
for i = 1, n do
  if ARGV[3 * i + 1] == '1' then
    local k = KEYS[2 * i + 1]
    if seen[k] or not redis.call('SET', k, '1', 'NX', 'EX', ttl) then dup[i] = true end
    seen[k] = true
  end
end
for i = 1, n do
  if dup[i] then out[i] = 1 else
    out[i] = 0
    local raw = ARGV[3 * i + 2]
    if ARGV[3 * i + 1] ~= 't' then
      redis.call('XADD', KEYS[2 * i], 'MAXLEN', '~', maxlen, '*', 'e', raw)
    end
    local ch = ARGV[3 * i + 3]
    if tapped(ch) then redis.call('PUBLISH', ch, raw) end
  end
end
return out`);

/**
 * Extends each lease still ours, and takes again one that lapsed with nobody taking it. A held
 * lease costs one SET XX GET (set and read the owner in one command; GET + PEXPIRE was two, and
 * renewals of every partition of every group are most of an idle deployment's commands). When the
 * lease turned out to be another owner's (ours lapsed and it took it), its value is put back with
 * a full lease: it was renewing it anyway, and we stop renewing what we no longer hold.
 */
const RENEW = new RedisScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('SET', key, ARGV[1], 'XX', 'PX', ARGV[2], 'GET')
  if owner == ARGV[1] then out[i] = 1
  elseif not owner then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    out[i] = 1
  else
    redis.call('SET', key, owner, 'PX', ARGV[2])
    out[i] = 0
  end
end
return out`);
const RELEASE = new RedisScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
);
const HEARTBEAT = new RedisScript(`
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ttl * 3)
return redis.call('ZCARD', KEYS[1])`);

export class RedisLeases implements LeaseStore {
  constructor(private readonly client: RedisClient) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ok = await this.client.sendCommand<string | null>([
      "SET",
      redisLeaseKey(name),
      owner,
      "NX",
      "PX",
      String(ttlMs),
    ]);
    return ok === "OK";
  }

  async renew(names: readonly string[], owner: string, ttlMs: number): Promise<boolean[]> {
    if (names.length === 0) return [];
    const out = await RENEW.run<number[]>(this.client, names.map(redisLeaseKey), [owner, ttlMs]);
    return out.map((n) => n === 1);
  }

  async release(name: string, owner: string): Promise<void> {
    await RELEASE.run(this.client, [redisLeaseKey(name)], [owner]);
  }

  async heartbeat(group: string, owner: string, ttlMs: number): Promise<number> {
    return HEARTBEAT.run<number>(this.client, [redisMembersKey(group)], [Date.now(), ttlMs, owner]);
  }

  async leave(group: string, owner: string): Promise<void> {
    await this.client.sendCommand(["ZREM", redisMembersKey(group), owner]);
  }
}

type StreamEntries = [string, string[] | null][];
/** XREADGROUP replies as an array of [stream, entries] (RESP2) or a stream → entries map (RESP3). */
type StreamReply =
  | [string, StreamEntries][]
  | Record<string, StreamEntries>
  | Map<string, StreamEntries>
  | null;

function entriesOf(reply: StreamReply): StreamEntries {
  if (!reply) return [];
  if (Array.isArray(reply)) return reply[0]?.[1] ?? [];
  if (reply instanceof Map) return reply.values().next().value ?? [];
  return Object.values(reply)[0] ?? [];
}

interface RedisDelivery extends Delivery {
  id: string;
}

/**
 * One partition stream read by a consumer group. The Redis consumer name is the partition, not
 * the instance: whoever holds the partition's lease reads its pending entries (XREADGROUP from an
 * id) after a takeover, so a crashed holder's unacked events are redelivered first and in order.
 * The pending entries are walked with a cursor: reads go on while earlier ones are in hand.
 */
class RedisReader implements PartitionReader {
  /** The id after which pending entries are read next; undefined once they are all read. */
  private pendingAfter: string | undefined = "0";
  private closed = false;
  private readonly consumer: string;

  constructor(
    private readonly client: RedisClient,
    private readonly blocking: RedisClient,
    private readonly key: string,
    private readonly group: string,
    partition: number,
    private readonly log: Logger,
  ) {
    this.consumer = `p${partition}`;
  }

  async read(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed) return [];
    try {
      if (this.pendingAfter !== undefined) {
        const pending = await this.readPending(this.pendingAfter, max);
        if (pending.length > 0) return pending;
        this.pendingAfter = undefined;
      }
      // BLOCK 0 would wait forever: a zero wait is a plain read.
      const block = blockMs > 0 ? ["BLOCK", String(blockMs)] : [];
      const reply = await (blockMs > 0 ? this.blocking : this.client).sendCommand<StreamReply>([
        ..."XREADGROUP GROUP".split(" "),
        this.group,
        this.consumer,
        "COUNT",
        String(max),
        ...block,
        "STREAMS",
        this.key,
        ">",
      ]);
      return this.toDeliveries(reply, new Map());
    } catch (err) {
      if (this.closed) return [];
      if (String((err as Error).message).includes("NOGROUP")) {
        await createGroup(this.client, this.key, this.group);
        return [];
      }
      throw err;
    }
  }

  private async readPending(after: string, max: number): Promise<Delivery[]> {
    const reply = await this.client.sendCommand<StreamReply>([
      ..."XREADGROUP GROUP".split(" "),
      this.group,
      this.consumer,
      "COUNT",
      String(max),
      "STREAMS",
      this.key,
      after,
    ]);
    const entries = entriesOf(reply);
    if (entries.length === 0) return [];
    const first = entries[0]?.[0] as string;
    const last = entries[entries.length - 1]?.[0] as string;
    this.pendingAfter = last;
    const info = await this.client.sendCommand<[string, string, number, number][]>([
      "XPENDING",
      this.key,
      this.group,
      first,
      last,
      String(entries.length),
      this.consumer,
    ]);
    return this.toDeliveries(reply, new Map(info.map(([id, , , count]) => [id, Number(count)])));
  }

  private toDeliveries(reply: StreamReply, counts: Map<string, number>): Delivery[] {
    const out: RedisDelivery[] = [];
    const trimmed: string[] = [];
    for (const [id, fields] of entriesOf(reply)) {
      const raw = fields?.[1];
      if (raw === undefined) trimmed.push(id);
      else out.push({ id, raw, previousDeliveries: counts.get(id) ?? 0 });
    }
    if (trimmed.length > 0) {
      // MAXLEN trimmed these before anyone acked them; nothing left to deliver.
      this.log.error({ stream: this.key, ids: trimmed }, "pending events were trimmed from the stream");
      void this.ackIds(trimmed);
    }
    return out;
  }

  async ack(deliveries: readonly Delivery[]): Promise<void> {
    await this.ackIds(deliveries.map((d) => (d as RedisDelivery).id));
  }

  private async ackIds(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.client.sendCommand(["XACK", this.key, this.group, ...ids]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blocking.destroy();
  }
}

async function createGroup(client: RedisClient, key: string, group: string): Promise<void> {
  try {
    // From 0: a new group gets every event still in the stream, so nothing published before its
    // first consumer started is lost.
    await client.sendCommand(["XGROUP", "CREATE", key, group, "0", "MKSTREAM"]);
  } catch (err) {
    if (!String((err as Error).message).includes("BUSYGROUP")) throw err;
  }
}

export class RedisBackend implements BusBackend {
  readonly kind = "redis" as const;
  readonly leases: RedisLeases;
  private subscriber: Promise<RedisClient> | undefined;
  private readonly interest: RedisTapInterest;
  /** Redis's clock, for the taps registry's lapse times (written by tap(), read by each append). */
  private readonly clock: RedisClock;

  constructor(
    private readonly client: RedisClient,
    private readonly log: Logger,
    private readonly maxLen: number,
  ) {
    this.leases = new RedisLeases(client);
    this.clock = new RedisClock(client);
    this.interest = new RedisTapInterest(client, log, this.clock);
  }

  /**
   * Group commit: appends requested in the same tick (e.g. many concurrent webhooks) go to Redis
   * as one script call. The combined batch is still all-or-nothing, and each caller gets its own
   * flags; one round trip and one script run instead of one per caller.
   */
  append(items: readonly AppendItem[], dedupTtlSeconds: number): Promise<boolean[]> {
    return this.enqueue(items, dedupTtlSeconds, false);
  }

  private enqueue(
    items: readonly AppendItem[],
    dedupTtlSeconds: number,
    tapsOnly: boolean,
  ): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ items, dedupTtlSeconds, tapsOnly, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private readonly pending: {
    items: readonly AppendItem[];
    dedupTtlSeconds: number;
    tapsOnly: boolean;
    resolve: (flags: boolean[]) => void;
    reject: (err: unknown) => void;
  }[] = [];

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    try {
      const keys: string[] = [REDIS_TAPS_KEY];
      // The longest TTL asked for wins; every caller passes the bus's one setting in practice.
      const args: (string | number)[] = [
        Math.max(...batch.map((b) => b.dedupTtlSeconds)),
        this.maxLen,
        await this.clock.now(),
      ];
      for (const { items, tapsOnly } of batch) {
        for (const item of items) {
          const stream = redisStreamKey(item.topic, item.partition);
          keys.push(stream, item.dedupKey ? redisDedupKey(item.dedupKey) : stream);
          args.push(tapsOnly ? "t" : item.dedupKey ? "1" : "0", item.raw, redisTapChannel(item.channels));
        }
      }
      const flags = await APPEND.run<number[]>(this.client, keys, args);
      let offset = 0;
      for (const b of batch) {
        b.resolve(flags.slice(offset, offset + b.items.length).map((f) => f === 1));
        offset += b.items.length;
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  /** Taps only, in the same batched script: it publishes only what some tap wants. */
  async broadcast(items: readonly AppendItem[]): Promise<void> {
    const tapped = items.filter((item) => item.channels.length > 0);
    if (tapped.length > 0) await this.enqueue(tapped, 0, true);
  }

  async openPartition(topic: Topic, partition: number, group: string): Promise<PartitionReader> {
    const key = redisStreamKey(topic, partition);
    await createGroup(this.client, key, group);
    const blocking = await duplicateConnected(this.client, this.log);
    return new RedisReader(this.client, blocking, key, group, partition, this.log);
  }

  async subscribe(pattern: string, onMessage: (channel: string, raw: string) => void) {
    this.subscriber ??= duplicateConnected(this.client, this.log);
    const subscriber = await this.subscriber;
    const glob = redisTapGlob(pattern);
    // One message per event: each channel it carries is handed on (the bus filters by pattern).
    const listener = (message: string, combined: string) => {
      for (const channel of tapChannelsOf(combined)) onMessage(channel, message);
    };
    await subscriber.pSubscribe(glob, listener);
    // Registered before tap() resolves: every append from now on publishes what this tap wants.
    await this.interest.add(pattern);
    return {
      close: async () => {
        this.interest.remove(pattern);
        await subscriber.pUnsubscribe(glob, listener);
      },
    };
  }

  async health(): Promise<BusHealth> {
    try {
      await this.client.ping();
      return { ok: true, backend: "redis" };
    } catch (err) {
      return { ok: false, backend: "redis", detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.interest.close();
    const subscriber = await this.subscriber?.catch(() => undefined);
    await Promise.allSettled([subscriber && closeRedis(subscriber), closeRedis(this.client)]);
  }
}

export async function createRedisBus(
  url: string,
  log: Logger,
  tuning: Partial<BusTuning> = {},
  connect: ConnectOptions = {},
): Promise<PartitionedBus> {
  const client = await connectRedis(url, log, "flank-bus", connect);
  return new PartitionedBus(new RedisBackend(client, log, tuning.streamMaxLen ?? 100_000), log, tuning);
}
