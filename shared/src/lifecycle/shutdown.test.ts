import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { once, stopAll } from "./shutdown.js";

const log = pino({ level: "silent" });

describe("shutdown", () => {
  it("stops components in reverse order", async () => {
    const order: string[] = [];
    const make = (name: string) => ({ name, stop: async () => void order.push(name) });
    expect(await stopAll([make("stores"), make("bus"), make("http")], log, 1000)).toBe(true);
    expect(order).toEqual(["http", "bus", "stores"]);
  });

  it("reports a failed or overrunning step and still stops the rest", async () => {
    const order: string[] = [];
    const clean = await stopAll(
      [
        { name: "stores", stop: async () => void order.push("stores") },
        { name: "stuck", stop: () => new Promise<void>(() => {}) },
        { name: "broken", stop: async () => Promise.reject(new Error("nope")) },
      ],
      log,
      20,
    );
    expect(clean).toBe(false);
    expect(order).toEqual(["stores"]);
  });

  it("once() makes stop idempotent", async () => {
    let calls = 0;
    const stop = once(async () => void calls++);
    await Promise.all([stop(), stop()]);
    await stop();
    expect(calls).toBe(1);
  });
});
