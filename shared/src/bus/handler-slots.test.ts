import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEvent } from "../events/event.js";
import { HandlerSlots, MIN_SLOTS, nextLimit, SLOT_TICK_MS } from "./handler-slots.js";
import { createMemoryBus } from "./memory.js";

const state = { limit: 100, running: 100, waiting: 0, load: 0.5, settled: true };

describe("nextLimit", () => {
  it("cuts a saturated loop's limit to four fifths of the handlers running, not below the floor", () => {
    expect(nextLimit({ ...state, load: 0.95 }, 8, 1000)).toBe(80);
    expect(nextLimit({ ...state, load: 0.95, running: 40 }, 8, 1000)).toBe(32);
    expect(nextLimit({ ...state, load: 1, running: 5 }, 8, 1000)).toBe(8);
  });

  it("waits for the previous cut to show before cutting again", () => {
    expect(nextLimit({ ...state, load: 0.95, settled: false }, 8, 1000)).toBe(100);
  });

  it("raises an idle loop's limit only while handlers wait for a slot, up to the bound", () => {
    expect(nextLimit({ ...state, load: 0.3, waiting: 5 }, 8, 1000)).toBe(150);
    expect(nextLimit({ ...state, load: 0.3, waiting: 0 }, 8, 1000)).toBe(100);
    expect(nextLimit({ ...state, limit: 900, load: 0.3, waiting: 5 }, 8, 1000)).toBe(1000);
    expect(nextLimit({ ...state, load: 0.8, waiting: 5 }, 8, 1000)).toBe(100);
  });
});

/** A task that runs until released, counting how many run at once. */
function gatedTasks() {
  let running = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const task = async () => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => gates.push(resolve));
    running--;
  };
  return { task, gates, running: () => running, most: () => most };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("HandlerSlots", () => {
  it("runs at most the limit at once, and the rest in order as slots free", async () => {
    const slots = new HandlerSlots(100, () => 1);
    for (let i = 0; i < 10; i++) slots.adjust();
    expect(slots.current).toBe(MIN_SLOTS);
    const t = gatedTasks();
    const order: number[] = [];
    const all = Array.from({ length: 20 }, (_, i) =>
      slots.run(async () => {
        order.push(i);
        await t.task();
      }),
    );
    await turn();
    expect(t.running()).toBe(MIN_SLOTS);
    while (t.gates.length > 0) {
      for (const open of t.gates.splice(0)) open();
      await turn();
    }
    await Promise.all(all);
    expect(t.most()).toBe(MIN_SLOTS);
    expect(order).toEqual([...Array(20).keys()]);
  });

  it("lends a slot while its handler waits outside, and gives it back to that handler before new ones", async () => {
    const slots = new HandlerSlots(100, () => 1);
    for (let i = 0; i < 10; i++) slots.adjust();
    let answer = () => {};
    const model = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const steps: string[] = [];
    const waiting = Array.from({ length: MIN_SLOTS }, (_, i) =>
      slots.run(async (wait) => {
        await wait(model);
        steps.push(`resumed ${i}`);
      }),
    );
    await turn();
    // Every slot is lent: new handlers run meanwhile, however many wait on the model.
    const t = gatedTasks();
    const fresh = Array.from({ length: MIN_SLOTS + 1 }, () => slots.run(t.task));
    await turn();
    expect(t.running()).toBe(MIN_SLOTS);
    answer();
    await turn();
    // The model answered: the waiting handlers take back the slots the gated ones free, first.
    expect(steps).toEqual([]);
    for (const open of t.gates.splice(0)) open();
    await turn();
    expect(steps).toHaveLength(MIN_SLOTS);
    expect(t.running()).toBe(1);
    for (const open of t.gates.splice(0)) open();
    await Promise.all([...waiting, ...fresh]);
  });

  it("raises the limit again once the loop has room and handlers wait, and stops when none waits", async () => {
    let load = 1;
    const slots = new HandlerSlots(1000, () => load);
    for (let i = 0; i < 30; i++) slots.adjust();
    expect(slots.current).toBe(MIN_SLOTS);
    const t = gatedTasks();
    for (let i = 0; i < 50; i++) void slots.run(t.task);
    await turn();
    expect(t.running()).toBe(MIN_SLOTS);
    load = 0.2;
    slots.adjust();
    expect(slots.current).toBe(12);
    for (let i = 0; i < 20; i++) slots.adjust();
    await turn();
    expect(t.running()).toBe(50);
    // 8 → 12 → 18 → 27 → 41 → 62: every handler runs, so it grows no further.
    expect(slots.current).toBe(62);
  });
});

describe("a consumer on a saturated loop", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs fewer handlers at once, and lends the slots of handlers that wait outside", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let load = 0;
    const bus = createMemoryBus(pino({ level: "silent" }), { loopLoad: () => () => load, partitions: 4 });
    const t = gatedTasks();
    let waitOutside = false;
    let outside = 0;
    const consumer = await bus.consume({
      topic: "inbound.message",
      group: "g",
      handler: async (_event, ctx) => {
        if (waitOutside) {
          outside++;
          await ctx.wait(new Promise<void>((resolve) => t.gates.push(resolve)));
          outside--;
        } else await t.task();
      },
    });
    const publish = (from: number, n: number) =>
      bus.publish(
        Array.from({ length: n }, (_, i) =>
          createEvent({
            type: "inbound.message",
            tenant: "100",
            conversationId: `100:${from + i}`,
            data: {
              wamid: `wamid.${from + i}`,
              phoneNumberId: "100",
              from: "16505551234",
              timestamp: new Date().toISOString(),
              type: "text",
              text: "hi",
              raw: {},
            },
          }),
        ),
      );
    const settle = async () => {
      for (let i = 0; i < 20; i++) await turn();
    };
    // An idle loop: every conversation's handler runs at once, as before.
    await publish(0, 40);
    await settle();
    expect(t.running()).toBe(40);
    // Saturated: each tick cuts the limit until it reaches the floor.
    load = 1;
    for (let i = 0; i < 30; i++) vi.advanceTimersByTime(SLOT_TICK_MS);
    for (const open of t.gates.splice(0)) open();
    await settle();
    await publish(40, 40);
    await settle();
    expect(t.running()).toBe(MIN_SLOTS);
    for (let i = 0; i < 10 && t.gates.length > 0; i++) {
      for (const open of t.gates.splice(0)) open();
      await settle();
    }
    expect(t.running()).toBe(0);
    // Handlers that wait outside the process (a model call) hold no slot.
    waitOutside = true;
    await publish(80, 40);
    await settle();
    expect(outside).toBe(40);
    for (const open of t.gates.splice(0)) open();
    await settle();
    await consumer.close({ timeoutMs: 1000 });
    await bus.close();
  });
});

describe("HandlerSlots while memory is short", () => {
  it("starts no new handler while one in progress can free memory, and starts them as memory frees", async () => {
    let short = false;
    const slots = new HandlerSlots(
      100,
      () => 0.5,
      () => short,
    );
    const t = gatedTasks();
    void slots.run(t.task);
    await turn();
    short = true;
    for (let i = 0; i < 5; i++) void slots.run(t.task);
    await turn();
    expect(t.running()).toBe(1);
    // Still short when the first finishes: nothing is in progress, so one starts (never a stall).
    t.gates.shift()?.();
    await turn();
    expect(t.running()).toBe(1);
    short = false;
    t.gates.shift()?.();
    await turn();
    expect(t.running()).toBe(4);
  });
});

describe("HandlerSlots misuse", () => {
  it("a wait called after its task finished lends nothing, so the count of running handlers holds", async () => {
    const slots = new HandlerSlots(100, () => 1);
    for (let i = 0; i < 10; i++) slots.adjust();
    let late: ((work: Promise<void>) => Promise<void>) | undefined;
    await slots.run(async (wait) => {
      late = wait;
    });
    await late?.(Promise.resolve());
    const t = gatedTasks();
    for (let i = 0; i < 20; i++) void slots.run(t.task);
    await turn();
    expect(t.running()).toBe(MIN_SLOTS);
  });
});
