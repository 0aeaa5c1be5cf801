import { hasBinary, startNatsServer, type TestServer, waitFor } from "@flank/testing";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busContract } from "./bus.contract.js";
import { NatsBackend } from "./nats.js";
import { deliveryCount } from "./nats-pull.js";
import { PartitionedBus } from "./partitioned-bus.js";

const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });
let server: TestServer;

describe("deliveryCount", () => {
  it.each([
    ["$JS.ACK.FLANK.g_inbound_message_3.1.12.7.1795289093252592469.0", 1],
    ["$JS.ACK.FLANK.g.4.12.7.1795289093252592469.5", 4],
    ["$JS.ACK.hub.ACCHASH.FLANK.g.3.12.7.1795289093252592469.0.r4nd", 3],
    ["$JS.ACK.hub.ACCHASH.FLANK.g.2.12.7.1795289093252592469.0", 2],
    ["$JS.ACK.FLANK.g.x.12.7.1.0", undefined],
    ["_INBOX.abc", undefined],
  ])("%s → %s", (subject, count) => {
    expect(deliveryCount(subject)).toBe(count);
  });
});

describe.skipIf(!hasBinary("nats-server"))("nats", () => {
  busContract("nats", {
    setup: async () => {
      server = await startNatsServer();
    },
    connect: async (tuning) => {
      const backend = await NatsBackend.connect(server.url, log, tuning);
      return { bus: new PartitionedBus(backend, log, tuning), backend };
    },
    teardown: async () => server?.stop(),
  });

  describe("nats backend", () => {
    let own: TestServer;
    let backend: NatsBackend;
    let raw: NatsConnection;
    let n = 0;
    const group = () => `nb-${process.pid}-${++n}`;
    beforeAll(async () => {
      own = await startNatsServer();
      backend = await NatsBackend.connect(own.url, log, { claimTimeoutMs: 1000, partitions: 4 });
      raw = await connect({ servers: own.url });
    });
    afterAll(async () => {
      await raw?.close();
      await backend?.close();
      await own?.stop();
    });
    const item = (i: number, partition = 0) => ({
      id: `e${i}`,
      topic: "inbound.status" as const,
      partition,
      channels: [],
      raw: `{"n":${i}}`,
    });

    it("returns a partial batch at once instead of waiting for the batch to fill", async () => {
      const reader = await backend.openPartition("inbound.status", 0, group());
      await backend.append([item(1), item(2)], 60);
      const started = Date.now();
      const got = await reader.read(32, 5000);
      expect(got.map((d) => d.raw)).toEqual(['{"n":1}', '{"n":2}']);
      expect(Date.now() - started).toBeLessThan(1000);
      await reader.ack(got);
      await reader.close();
    });

    it("wakes a blocked read as soon as an event arrives", async () => {
      const reader = await backend.openPartition("inbound.status", 1, group());
      const started = Date.now();
      const reading = reader.read(32, 4000);
      setTimeout(() => void backend.append([item(3, 1), item(4, 1)], 60), 100);
      const got = await reading;
      expect(got[0]?.raw).toBe('{"n":3}');
      expect(Date.now() - started).toBeLessThan(2000);
      await reader.ack(got);
      await reader.close();
    });

    it("hands over a partition without losing or reordering what a blocked read was sent", async () => {
      const g = group();
      const jsm = await raw.jetstreamManager();
      const first = await backend.openPartition("inbound.status", 2, g);
      const blocked = first.read(32, 1000);
      const durable = `${g}_inbound_status_2`;
      await waitFor(async () => (await jsm.consumers.info("FLANK", durable)).num_waiting === 1, {
        what: "a pull waiting at the server",
      });
      const closing = first.close(); // closed while the server still holds the pull request
      await backend.append([item(10, 2), item(11, 2)], 60);
      const late = await blocked; // what the server sent that request is returned, not dropped
      await closing;
      expect(late.map((d) => d.raw)).toEqual(['{"n":10}']);
      await first.ack(late); // as the consumer does before it releases the lease
      const second = await backend.openPartition("inbound.status", 2, g);
      await backend.append([item(12, 2)], 60);
      const next = await second.read(32, 1000);
      expect(next.map((d) => [d.raw, d.previousDeliveries])).toEqual([
        ['{"n":11}', 0],
        ['{"n":12}', 0],
      ]);
      await second.ack(next);
      await second.close();
    });

    it("recreates a durable consumer deleted under a reader", async () => {
      const g = group();
      const jsm = await raw.jetstreamManager();
      const reader = await backend.openPartition("inbound.status", 1, g);
      await jsm.consumers.delete("FLANK", `${g}_inbound_status_1`);
      await expect(reader.read(32, 100)).resolves.toEqual([]);
      await backend.append([item(40, 1)], 60);
      await waitFor(async () => (await reader.read(32, 100)).some((d) => d.raw === '{"n":40}'), {
        what: "event after recreation",
      });
      await reader.close();
    });

    it("grants a lease to one owner at a time and lets it be taken over once lapsed", async () => {
      const { leases } = backend;
      const name = `${group()}:inbound.status:0`;
      const results = await Promise.all(["a", "b", "c"].map((o) => leases.acquire(name, o, 300)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ["a", "b", "c"][results.indexOf(true)] as string;
      const loser = winner === "a" ? "b" : "a";
      expect(await leases.renew([name], loser, 300)).toEqual([false]);
      expect(await leases.renew([name], winner, 300)).toEqual([true]);
      await leases.release(name, loser); // not the owner: no effect
      expect(await leases.acquire(name, loser, 300)).toBe(false);
      await leases.release(name, winner);
      expect(await leases.acquire(name, loser, 50)).toBe(true);
      await waitFor(() => leases.acquire(name, winner, 300), { what: "lapsed lease taken over" });
      expect(await leases.renew([name], loser, 300)).toEqual([false]);
    });

    it("counts live members, drops those that left or lapsed", async () => {
      const { leases } = backend;
      const g = `${group()}:inbound.status`;
      const counts = await Promise.all(["a", "b", "c"].map((o) => leases.heartbeat(g, o, 60_000)));
      expect(Math.max(...counts)).toBe(3);
      await leases.leave(g, "b");
      expect(await leases.heartbeat(g, "a", 60_000)).toBe(2);
      expect(await leases.heartbeat(g, "short", 30)).toBe(3);
      await waitFor(async () => (await leases.heartbeat(g, "a", 60_000)) === 2, { what: "lapsed member" });
    });

    it("publishes taps on core subjects and skips channels that are not subjects", async () => {
      const seen: string[] = [];
      const sub = raw.subscribe("flank.conversation.>", {
        callback: (_err, msg) => void seen.push(msg.subject),
      });
      await raw.flush();
      await backend.append(
        [
          { ...item(30), channels: ["flank.conversation.ok", "flank.conversation.bad id"] },
          { ...item(31), channels: ["flank.conversation.ok2"] },
        ],
        60,
      );
      await waitFor(() => seen.length >= 2, { what: "tap messages" });
      expect(seen).toEqual(["flank.conversation.ok", "flank.conversation.ok2"]);
      sub.unsubscribe();
    });

    it("creates the stream once, and a consumer idempotently, following a changed claim timeout", async () => {
      const jsm = await raw.jetstreamManager();
      const stream = await jsm.streams.info("FLANK");
      expect(stream.config.subjects).toEqual(["flankq.>"]);
      expect(stream.config.duplicate_window).toBe(7 * 24 * 3600 * 1e9);
      const g = group();
      await (await backend.openPartition("inbound.status", 0, g)).close();
      await (await backend.openPartition("inbound.status", 0, g)).close();
      const durable = `${g}_inbound_status_0`;
      expect((await jsm.consumers.info("FLANK", durable)).config).toMatchObject({
        filter_subject: "flankq.inbound.status.0",
        ack_wait: 500 * 1e6,
        max_deliver: -1,
      });
      const slower = await NatsBackend.connect(own.url, log, { claimTimeoutMs: 4000 });
      await (await slower.openPartition("inbound.status", 0, g)).close();
      expect((await jsm.consumers.info("FLANK", durable)).config.ack_wait).toBe(2000 * 1e6);
      await slower.close();
    });

    it("reports health, and closes idempotently", async () => {
      const other = await NatsBackend.connect(own.url, log);
      expect(await other.health()).toEqual({ ok: true, backend: "nats" });
      await other.close();
      await other.close();
      expect((await other.health()).ok).toBe(false);
    });
  });
});
