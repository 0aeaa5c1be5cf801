import { waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEvent, InvalidEventError } from "../events/event.js";
import type { FlankEvent } from "../events/schemas.js";
import type { BusBackend } from "./backend.js";
import type { Bus, BusTuning, Consumer } from "./bus.js";
import { partitionOf } from "./partition.js";

/** What a contract run needs from an adapter: a fresh bus on the same server, and its backend. */
export interface BusHarness {
  setup?(): Promise<void>;
  connect(tuning: Partial<BusTuning>): Promise<{ bus: Bus; backend: BusBackend }>;
  teardown?(): Promise<void>;
}

const TUNING: Partial<BusTuning> = {
  partitions: 8,
  maxAttempts: 3,
  claimTimeoutMs: 1000,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  batchSize: 32,
  // Short idle reads: closing a bus waits for the read in flight, and tests close many.
  readWaitMs: 100,
};

let seq = 0;
/** A unique group name per test, so suites never see each other's events. */
const uniq = (name: string) => `${name}-${process.pid}-${++seq}-${Date.now().toString(36)}`;

/**
 * Groups start at the beginning of the retained stream (nothing published before a group's first
 * consumer is lost), so each test marks its events with its own tenant and ignores the rest.
 */
let tenant = uniq("tenant");
const mine = (e: FlankEvent) => e.tenant === tenant || e.type === "dlq"; // dead letters: tests filter by group

const message = (conversationId: string, n: number, text = `m${n}`): FlankEvent =>
  createEvent({
    type: "inbound.message",
    tenant,
    conversationId,
    data: {
      wamid: `wamid.${conversationId}.${n}.${Math.random().toString(36).slice(2)}`,
      phoneNumberId: "106540352242922",
      from: "16505551234",
      timestamp: new Date().toISOString(),
      type: "text",
      text,
      raw: {},
    },
  });

const textOf = (e: FlankEvent) => (e.type === "inbound.message" ? (e.data.text ?? "") : "");

export function busContract(name: string, harness: BusHarness): void {
  describe(`bus contract: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    const connect = async (tuning: Partial<BusTuning> = {}) => {
      const made = await harness.connect({ ...TUNING, ...tuning });
      open.push(made.bus);
      return made;
    };
    const consume = async (
      bus: Bus,
      topic: FlankEvent["type"],
      group: string,
      handler: (e: FlankEvent) => Promise<void>,
    ) => {
      const c = await bus.consume({ topic, group, handler: async (e) => (mine(e) ? handler(e) : undefined) });
      open.push(c);
      return c;
    };

    beforeAll(async () => harness.setup?.());
    beforeEach(() => {
      tenant = uniq("tenant");
    });
    afterAll(async () => harness.teardown?.());
    afterEach(async () => {
      for (const o of open.splice(0).reverse()) await o.close();
    });

    it("rejects an invalid event on publish with a clear error", async () => {
      const { bus } = await connect();
      const bad = { ...message("c1", 1), id: "not-a-ulid" } as FlankEvent;
      await expect(bus.publish(bad)).rejects.toThrow(InvalidEventError);
      await expect(bus.publish(bad)).rejects.toThrow(/id: id must be a ULID/);
      expect((await bus.health()).ok).toBe(true);
    });

    it("delivers each event to exactly one consumer of a group, and to every group", async () => {
      const { bus } = await connect();
      const { bus: bus2 } = await connect();
      const g1 = uniq("g1");
      const g2 = uniq("g2");
      const seen1: string[] = [];
      const seen2: string[] = [];
      await consume(bus, "inbound.message", g1, async (e) => void seen1.push(e.id));
      await consume(bus2, "inbound.message", g1, async (e) => void seen1.push(e.id));
      await consume(bus2, "inbound.message", g2, async (e) => void seen2.push(e.id));
      const events = Array.from({ length: 200 }, (_, i) => message(`conv-${i % 20}`, i));
      for (const e of events) await bus.publish(e);
      await waitFor(() => seen1.length >= 200 && seen2.length >= 200, {
        timeoutMs: 15_000,
        what: "all events",
      });
      expect(new Set(seen1).size).toBe(200);
      expect(seen1).toHaveLength(200);
      expect(new Set(seen2)).toEqual(new Set(events.map((e) => e.id)));
      expect(seen2).toHaveLength(200);
    });

    it("skips a duplicate dedup key, in one batch and across publishes", async () => {
      const { bus } = await connect();
      const group = uniq("dedup");
      const seen: string[] = [];
      await consume(bus, "inbound.message", group, async (e) => void seen.push(textOf(e)));
      const key = uniq("wamid");
      const first = await bus.publish([message("d1", 1, "first"), message("d1", 2, "again")], {
        dedupKeys: [key, key],
      });
      expect(first.published).toHaveLength(1);
      expect(first.duplicates).toHaveLength(1);
      const second = await bus.publish(message("d1", 3, "redelivered"), { dedupKeys: [key] });
      expect(second).toEqual({ published: [], duplicates: [expect.any(String)] });
      await bus.publish(message("d1", 4, "sentinel"));
      await waitFor(() => seen.includes("sentinel"), { what: "sentinel" });
      expect(seen).toEqual(["first", "sentinel"]);
    });

    it("retries a throwing handler, then dead-letters the event with the error text", async () => {
      const { bus } = await connect();
      const group = uniq("retry");
      const dlq: FlankEvent[] = [];
      await consume(bus, "dlq", uniq("dlq-reader"), async (e) => void dlq.push(e));
      const calls = new Map<string, number>();
      await consume(bus, "inbound.message", group, async (e) => {
        const n = (calls.get(textOf(e)) ?? 0) + 1;
        calls.set(textOf(e), n);
        if (textOf(e) === "poison") throw new Error(`boom on attempt ${n}`);
        if (textOf(e) === "flaky" && n < 2) throw new Error("flaky once");
      });
      const poison = message("r1", 1, "poison");
      await bus.publish([poison, message("r2", 1, "flaky")]);
      await waitFor(() => dlq.some((e) => e.type === "dlq" && e.data.group === group), {
        timeoutMs: 10_000,
        what: "dead letter",
      });
      const dead = dlq.find((e) => e.type === "dlq" && e.data.group === group);
      expect(dead?.type === "dlq" && dead.data).toMatchObject({
        topic: "inbound.message",
        group,
        attempts: 3,
        error: "boom on attempt 3",
        event: { id: poison.id },
      });
      expect(calls.get("poison")).toBe(3);
      await waitFor(() => calls.get("flaky") === 2, { what: "flaky retried" });
      expect(dlq.filter((e) => e.type === "dlq" && e.data.group === group)).toHaveLength(1);
    });

    it("dead-letters an event that fails validation on receipt", async () => {
      const { bus, backend } = await connect();
      const group = uniq("invalid");
      const dlq: FlankEvent[] = [];
      await consume(bus, "dlq", uniq("dlq-reader"), async (e) => void dlq.push(e));
      const handled: string[] = [];
      await consume(bus, "inbound.message", group, async (e) => void handled.push(e.id));
      const partition = partitionOf("bad", TUNING.partitions as number);
      await backend.append(
        [
          { id: "x", topic: "inbound.message", partition, channels: [], raw: "{not json" },
          {
            id: "y",
            topic: "inbound.message",
            partition,
            channels: [],
            raw: JSON.stringify({ type: "inbound.message", tenant }),
          },
        ],
        60,
      );
      await waitFor(() => dlq.filter((e) => e.type === "dlq" && e.data.group === group).length === 2, {
        what: "two dead letters",
      });
      const errors = dlq.flatMap((e) => (e.type === "dlq" && e.data.group === group ? [e.data.error] : []));
      expect(errors[0]).toMatch(/^not JSON/);
      expect(errors[1]).toMatch(/^invalid event: .*id/);
      expect(handled).toEqual([]);
    });

    it("redelivers an event held by a consumer that died, within the claim timeout", async () => {
      const { bus } = await connect();
      const { bus: bus2 } = await connect();
      const group = uniq("crash");
      let release = () => {};
      const hung = new Promise<void>((r) => {
        release = r;
      });
      const firstSaw: string[] = [];
      const dying = await bus.consume({
        topic: "inbound.message",
        group,
        handler: async (e) => {
          if (!mine(e)) return;
          firstSaw.push(textOf(e));
          await hung; // never finishes while this consumer is alive
        },
      });
      const victim = message("crash-1", 1, "held");
      await bus.publish(victim);
      await waitFor(() => firstSaw.includes("held"), { what: "first consumer to take the event" });
      await dying.close({ timeoutMs: 50 }); // dies mid-handler: the event stays unacked

      const got: { text: string; attempt: number }[] = [];
      open.push(
        await bus2.consume({
          topic: "inbound.message",
          group,
          handler: async (e, ctx) => void (mine(e) && got.push({ text: textOf(e), attempt: ctx.attempt })),
        }),
      );
      // Claim timeout is 1 s; allow for the lease check interval and a loaded machine.
      await waitFor(() => got.some((g) => g.text === "held"), { timeoutMs: 5000, what: "redelivery" });
      expect(got.find((g) => g.text === "held")?.attempt).toBeGreaterThanOrEqual(2);
      release();
    });

    it("shows events live on taps, filtered by pattern, and a slow tap does not slow work", async () => {
      const { bus } = await connect();
      const group = uniq("tap-work");
      const conv = uniq("tapconv");
      const slow: string[] = [];
      const convTap: string[] = [];
      const wrongTopic: string[] = [];
      // A tap stuck until the work is done: the work must not wait for it.
      let unblock = () => {};
      const blocked = new Promise<void>((r) => {
        unblock = r;
      });
      open.push(
        await bus.tap("flank.inbound.>", async (e) => {
          await blocked;
          slow.push(e.id);
        }),
      );
      open.push(
        await bus.tap(
          `flank.conversation.${conv}`,
          (e, channel) => void convTap.push(`${channel}|${textOf(e)}`),
        ),
      );
      open.push(await bus.tap("flank.outbound.*", (e) => void wrongTopic.push(e.id)));
      const handled: string[] = [];
      await consume(bus, "inbound.message", group, async (e) => void handled.push(e.id));
      const events = Array.from({ length: 30 }, (_, i) => message(i % 2 ? conv : uniq("other"), i));
      await bus.publish(events);
      await waitFor(() => handled.length === 30, { timeoutMs: 5000, what: "work to finish" });
      // Work finished while the stuck tap has handled nothing.
      expect(slow).toEqual([]);
      unblock();
      await waitFor(() => convTap.length === 15, { what: "conversation tap" });
      expect(convTap[0]).toBe(`flank.conversation.${conv}|m1`);
      await waitFor(() => slow.length >= 1, { what: "slow tap" });
      expect(wrongTopic).toEqual([]);
    });

    it("announces events on the taps only: no consumer group gets them", async () => {
      const { bus } = await connect();
      const conv = uniq("announce");
      const tapped: string[] = [];
      const worked: string[] = [];
      open.push(await bus.tap(`flank.conversation.${conv}`, (e) => void tapped.push(textOf(e))));
      await consume(bus, "inbound.message", uniq("announce-work"), async (e) => void worked.push(textOf(e)));
      await bus.announce(message(conv, 1, "shown"));
      await bus.publish(message(conv, 2, "worked"));
      await waitFor(() => tapped.length === 2 && worked.length === 1, { what: "tap and work" });
      expect(tapped).toEqual(["shown", "worked"]);
      expect(worked).toEqual(["worked"]);
      await expect(bus.announce({ ...message(conv, 3), id: "nope" } as FlankEvent)).rejects.toThrow(/ULID/);
    });

    it("handles one conversation's events in order, one at a time, across two instances", async () => {
      const { bus } = await connect();
      const { bus: bus2 } = await connect();
      const group = uniq("order");
      const got = new Map<string, number[]>();
      const inFlight = new Set<string>();
      let overlap = 0;
      let maxParallel = 0;
      const handler = async (e: FlankEvent) => {
        if (inFlight.has(e.conversationId)) overlap++;
        inFlight.add(e.conversationId);
        maxParallel = Math.max(maxParallel, inFlight.size);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        const list = got.get(e.conversationId) ?? [];
        list.push(Number(textOf(e)));
        got.set(e.conversationId, list);
        inFlight.delete(e.conversationId);
      };
      await consume(bus, "inbound.message", group, handler);
      await consume(bus2, "inbound.message", group, handler);
      const prefix = uniq("o");
      const events: FlankEvent[] = [];
      for (let n = 0; n < 10; n++)
        for (let c = 0; c < 100; c++) events.push(message(`${prefix}-${c}`, n, String(n)));
      for (let i = 0; i < events.length; i += 50) await bus.publish(events.slice(i, i + 50));
      await waitFor(() => [...got.values()].reduce((s, l) => s + l.length, 0) >= 1000, {
        timeoutMs: 20_000,
        what: "1000 events",
      });
      expect(overlap).toBe(0);
      expect(got.size).toBe(100);
      for (const list of got.values()) expect(list).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(maxParallel).toBeGreaterThan(1);
    });

    it("goes on with other conversations while one conversation's handler is slow", async () => {
      // One partition: before pipelined consumption, a batch waited for its slowest event.
      const { bus } = await connect({ partitions: 1 });
      const group = uniq("slow");
      let unblock = () => {};
      const blocked = new Promise<void>((r) => {
        unblock = r;
      });
      const done: string[] = [];
      let slowStarted = false;
      await consume(bus, "inbound.message", group, async (e) => {
        if (textOf(e) === "slow") {
          slowStarted = true;
          await blocked;
        }
        done.push(`${e.conversationId}|${textOf(e)}`);
      });
      await bus.publish(message("s-slow", 1, "slow"));
      await waitFor(() => slowStarted, { what: "the slow handler to start" });
      const others = Array.from({ length: 50 }, (_, i) => message(`s-other-${i % 10}`, i, String(i)));
      await bus.publish(others);
      await bus.publish(message("s-slow", 2, "after"));
      await waitFor(() => done.length === 50, { timeoutMs: 10_000, what: "the other conversations" });
      // The slow conversation's next event waits for its first: order within it holds.
      expect(done.some((d) => d.startsWith("s-slow|"))).toBe(false);
      unblock();
      await waitFor(() => done.length === 52, { what: "the slow conversation" });
      expect(done.slice(50)).toEqual(["s-slow|slow", "s-slow|after"]);
    });

    it("stops reading at the in-flight bound and reads on as events are acknowledged", async () => {
      const { bus } = await connect({ partitions: 2 });
      const group = uniq("bound");
      const gates: (() => void)[] = [];
      const started: string[] = [];
      const unbounded: string[] = [];
      open.push(
        await bus.consume({
          topic: "inbound.message",
          group,
          maxInFlight: 4,
          handler: async (e) => {
            if (!mine(e)) return;
            started.push(textOf(e));
            await new Promise<void>((r) => gates.push(r));
          },
        }),
      );
      await consume(bus, "inbound.message", uniq("unbounded"), async (e) => void unbounded.push(textOf(e)));
      await bus.publish(Array.from({ length: 10 }, (_, i) => message(`b-${i}`, i, `b${i}`)));
      await waitFor(() => started.length >= 4 && unbounded.length === 10, { what: "the bound reached" });
      // Another group has seen every event; the bounded one holds no more than its bound plus one
      // event per partition reader (two partitions here).
      expect(started.length).toBeLessThanOrEqual(5);
      const before = started.length;
      for (const open of gates.splice(0, 2)) open();
      await waitFor(() => started.length >= before + 1, { what: "more after two acks" });
      await waitFor(
        () => {
          for (const open of gates.splice(0)) open();
          return started.length === 10;
        },
        { what: "the rest" },
      );
      expect(new Set(started).size).toBe(10);
    });

    it("lets a handler answer the events queued behind it, acknowledged with it", async () => {
      const { bus } = await connect({ partitions: 1 });
      const group = uniq("absorb");
      let unblock = () => {};
      const blocked = new Promise<void>((r) => {
        unblock = r;
      });
      const calls: string[][] = [];
      const c = await bus.consume({
        topic: "inbound.message",
        group,
        handler: async (e, ctx) => {
          if (!mine(e)) return;
          // Like the bot: what is queued when the handler starts is answered with it.
          const queued = ctx.queued();
          ctx.absorb(queued.length);
          calls.push([textOf(e), ...queued.map(textOf)]);
          if (textOf(e) === "hi") await blocked;
        },
      });
      open.push(c);
      const seen: string[] = [];
      await consume(bus, "inbound.message", uniq("watch"), async (e) => void seen.push(textOf(e)));
      await bus.publish(message("burst", 1, "hi"));
      await waitFor(() => calls.length === 1, { what: "first call" });
      await bus.publish([message("burst", 2, "I need"), message("burst", 3, "a refund")]);
      await waitFor(() => seen.includes("a refund"), { what: "the burst published" });
      unblock();
      await waitFor(() => calls.length === 2, { what: "two calls" });
      expect(calls).toEqual([["hi"], ["I need", "a refund"]]);
      await bus.publish(message("burst", 4, "thanks"));
      await waitFor(() => calls.length === 3, { what: "next message" });
      expect(calls[2]).toEqual(["thanks"]);
    });

    it("redelivers every unacknowledged event of a dead consumer first, in order", async () => {
      const { bus } = await connect({ partitions: 2 });
      const { bus: bus2 } = await connect({ partitions: 2 });
      const group = uniq("crash-many");
      const firstSaw: string[] = [];
      const dying = await bus.consume({
        topic: "inbound.message",
        group,
        handler: async (e) => {
          if (!mine(e)) return;
          firstSaw.push(textOf(e));
          if (e.conversationId === "cm-hung") await new Promise(() => {}); // dies mid-handler
        },
      });
      await bus.publish([
        message("cm-hung", 1, "h1"),
        message("cm-ok", 1, "o1"),
        message("cm-hung", 2, "h2"),
        message("cm-ok", 2, "o2"),
        message("cm-hung", 3, "h3"),
      ]);
      await waitFor(() => firstSaw.includes("h1") && firstSaw.includes("o2"), { what: "first holder" });
      await dying.close({ timeoutMs: 50 });
      const got: string[] = [];
      open.push(
        await bus2.consume({
          topic: "inbound.message",
          group,
          handler: async (e) => void (mine(e) && got.push(textOf(e))),
        }),
      );
      await bus2.publish(message("cm-hung", 4, "h4"));
      await waitFor(() => got.includes("h4"), { timeoutMs: 8000, what: "takeover" });
      expect(got.filter((t) => t.startsWith("h"))).toEqual(["h1", "h2", "h3", "h4"]);
      expect(firstSaw.filter((t) => t.startsWith("h"))).toEqual(["h1"]);
    });

    it("drains in-flight handlers on close, and close is safe to call twice", async () => {
      const { bus } = await connect();
      const group = uniq("drain");
      let finish = () => {};
      const gate = new Promise<void>((r) => {
        finish = r;
      });
      const started: string[] = [];
      const finished: string[] = [];
      const consumer: Consumer = await bus.consume({
        topic: "inbound.message",
        group,
        handler: async (e) => {
          if (!mine(e)) return;
          started.push(textOf(e));
          await gate;
          finished.push(textOf(e));
        },
      });
      await bus.publish(message("drain-1", 1, "slow"));
      await waitFor(() => started.includes("slow"), { what: "handler start" });
      const closing = consumer.close();
      setTimeout(finish, 50);
      await closing;
      expect(finished).toEqual(["slow"]);
      await consumer.close();

      // It was acked: a new consumer of the group sees only what comes after.
      const later: string[] = [];
      await consume(bus, "inbound.message", group, async (e) => void later.push(textOf(e)));
      await bus.publish(message("drain-2", 2, "next"));
      await waitFor(() => later.includes("next"), { what: "next event" });
      expect(later).toEqual(["next"]);
      await bus.close();
      await bus.close();
      await expect(bus.publish(message("drain-3", 3))).rejects.toThrow(/closed/);
    });
  });
}
