import { createEvent } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { afterEach, describe, expect, it } from "vitest";
import { heldWaits, type SenderHarness, startSenderHarness, TENANT, USER } from "./sender.harness.js";

const OTHER = "15550002222";
const text = (body = "hello") => ({ type: "text" as const, body });
const bodies = (h: SenderHarness) =>
  h.graph.requests.map((r) => (r.body as { text?: { body?: string } }).text?.body);
let h: SenderHarness;
afterEach(() => h.stop());

describe("sender: idempotency", () => {
  it("the same key is sent once; a duplicate gets the recorded result republished", async () => {
    h = await startSenderHarness();
    await h.openWindow();
    await h.request({ message: text(), idempotencyKey: "dup" });
    await waitFor(() => h.results.length === 1);
    await h.request({ message: text(), idempotencyKey: "dup" });
    await waitFor(() => h.results.length === 2);
    expect(h.graph.requests).toHaveLength(1);
    expect(h.results[1]).toEqual(h.results[0]);
  });

  it("a key held by a crashed instance is sent once its lease lapses", async () => {
    const waits = heldWaits();
    h = await startSenderHarness({}, { waits });
    await h.openWindow();
    await h.ledger.claim("crashed", "dead-instance", 300);
    await h.request({ message: text(), idempotencyKey: "crashed" });
    await waitFor(() => waits.pending === 1, { what: "a recheck" });
    expect(h.graph.requests).toHaveLength(0);
    // Rechecked after the rest of the lease (at most a second), then sent.
    expect(waits.asked[0]).toBeGreaterThan(0);
    expect(waits.asked[0]).toBeLessThanOrEqual(1000);
    await waitFor(
      () => {
        waits.release();
        return h.results.length === 1;
      },
      { timeoutMs: 3000, what: "the send after the lease" },
    );
    expect(h.results[0]).toMatchObject({ status: "sent", idempotencyKey: "crashed" });
    expect(h.graph.requests).toHaveLength(1);
  });

  it("a wait recorded before a crash is waited out by the next holder, then sent once", async () => {
    const waits = heldWaits();
    h = await startSenderHarness({}, { waits });
    await h.openWindow();
    await h.ledger.defer("resumed", 2, 5000);
    await h.request({ message: text(), idempotencyKey: "resumed" });
    await waitFor(() => waits.pending === 1, { what: "the recorded wait" });
    expect(waits.asked[0]).toBeGreaterThan(4000);
    expect(h.graph.requests).toHaveLength(0);
    waits.release();
    await waitFor(() => h.results.length === 1, { what: "result" });
    expect(h.results[0]).toMatchObject({ status: "sent", attempts: 3 });
  });

  it("two instances sharing the ledger send a duplicated request once", async () => {
    h = await startSenderHarness();
    const second = await startSenderHarness(
      {},
      { graph: h.graph, ledger: h.ledger, bus: h.bus, stores: h.stores },
    );
    try {
      await h.openWindow();
      h.graph.script({ kind: "delay", ms: 200 });
      const event = createEvent({
        type: "outbound.request",
        tenant: TENANT,
        conversationId: `${TENANT}:${USER}`,
        data: { idempotencyKey: "twice", to: USER, source: "api", message: text() },
      });
      await Promise.all([second.sender.handle(event), h.sender.handle(event)]);
      // Results are on the taps: one harness sees both instances' results.
      const results = () => h.results.filter((r) => r.idempotencyKey === "twice");
      await waitFor(() => results().length === 2, { timeoutMs: 3000 });
      expect(h.graph.requests).toHaveLength(1);
      expect(new Set(results().map((r) => r.wamid)).size).toBe(1);
    } finally {
      await second.stop();
    }
  });
});

describe("sender: replies in order through faults", () => {
  it("a retried send keeps its place: the user's next message waits, another user's does not", async () => {
    const waits = heldWaits();
    h = await startSenderHarness(
      { retry: { baseDelayMs: 2000, maxAttempts: 4, maxDelayMs: 60_000 } },
      { waits },
    );
    await h.openWindow();
    await h.openWindow(OTHER);
    h.graph.scriptFor(USER, { kind: "error", code: 131000 });
    await h.request({ message: text("first"), idempotencyKey: "first" });
    await waitFor(() => waits.pending === 1 && h.results.length === 1, { what: "the retry's wait" });
    expect(waits.asked).toEqual([2000]);
    expect(h.results[0]).toMatchObject({ idempotencyKey: "first", status: "failed", final: false });
    await h.request({ message: text("second"), idempotencyKey: "second" });
    await h.request({ message: text("to B"), idempotencyKey: "b" }, OTHER);
    await waitFor(() => h.results.some((r) => r.idempotencyKey === "b" && r.status === "sent"));
    expect(bodies(h)).toEqual(["first", "to B"]);
    waits.release();
    await waitFor(() => h.results.filter((r) => r.status === "sent").length === 3, { what: "all sent" });
    expect(bodies(h)).toEqual(["first", "to B", "first", "second"]);
    expect(h.results.find((r) => r.idempotencyKey === "first" && r.final)).toMatchObject({ attempts: 2 });
  });

  it("131056 backs the recipient off for 4^X s; its later messages follow, in order", async () => {
    const waits = heldWaits();
    h = await startSenderHarness({}, { waits });
    await h.openWindow();
    h.graph.scriptFor(USER, { kind: "error", code: 131056 });
    for (const n of [1, 2, 3]) await h.request({ message: text(`m${n}`), idempotencyKey: `m${n}` });
    await waitFor(() => waits.pending === 1, { what: "the pair's wait" });
    // 4^0 s after the first failure, booked on the recipient's bucket.
    expect(waits.asked[0]).toBeGreaterThan(900);
    expect(waits.asked[0]).toBeLessThanOrEqual(1000);
    expect(bodies(h)).toEqual(["m1"]);
    while (h.results.filter((r) => r.final).length < 3) {
      waits.release();
      await new Promise((r) => setImmediate(r));
    }
    expect(bodies(h)).toEqual(["m1", "m1", "m2", "m3"]);
  });

  it("130429 pauses the whole business number, then the request goes out", async () => {
    const waits = heldWaits({ auto: true });
    h = await startSenderHarness({}, { waits });
    await h.openWindow();
    h.graph.script({ kind: "error", code: 130429 });
    await h.request({ message: text() });
    await waitFor(() => h.results.some((r) => r.final));
    expect(h.results.at(-1)).toMatchObject({ status: "sent", attempts: 2 });
    // The number's bucket was blocked for the retry delay (10 ms base in the harness).
    expect(waits.asked).toHaveLength(1);
    expect(waits.asked[0]).toBeGreaterThanOrEqual(8);
  });
});

describe("sender: pacing", () => {
  it("a recipient gets a burst, then one message per interval; other users are not held", async () => {
    const waits = heldWaits({ auto: true });
    h = await startSenderHarness(
      { pacing: { perNumberRate: 80, perRecipientRate: 5, perRecipientBurst: 2 } },
      { waits },
    );
    await h.openWindow();
    await h.openWindow(OTHER);
    for (const i of [1, 2, 3]) await h.request({ message: text(`m${i}`), idempotencyKey: `p${i}` });
    await h.request({ message: text("other"), idempotencyKey: "o" }, OTHER);
    await waitFor(() => h.results.length === 4);
    // Only m3 waited: one interval (200 ms at 5/s) after the burst of two.
    expect(waits.asked).toHaveLength(1);
    expect(waits.asked[0]).toBeGreaterThan(150);
    expect(waits.asked[0]).toBeLessThanOrEqual(200);
    expect(bodies(h).filter((b) => b !== "other")).toEqual(["m1", "m2", "m3"]);
  });

  it("a long pacing wait is recorded in the ledger and keeps the order", async () => {
    const waits = heldWaits();
    h = await startSenderHarness(
      { pacing: { perNumberRate: 80, perRecipientRate: 0.5, perRecipientBurst: 1 } },
      { waits },
    );
    await h.openWindow();
    await h.request({ message: text("m1"), idempotencyKey: "q1" });
    await h.request({ message: text("m2"), idempotencyKey: "q2" });
    await waitFor(() => waits.pending === 1, { what: "m2's wait" });
    expect(waits.asked[0]).toBeGreaterThan(1900);
    expect(h.logs.some((l) => l.msg === "send waiting")).toBe(true);
    expect(await h.ledger.claim("q2", "someone-else", 1000)).toMatchObject({ kind: "early" });
    waits.release();
    await waitFor(() => h.results.length === 2, { timeoutMs: 3000 });
    expect(h.results.map((r) => r.idempotencyKey)).toEqual(["q1", "q2"]);
  });
});

describe("sender: handler slots", () => {
  it("lends its slot while it waits on pacing and on the Graph API, so waits hold no other send", async () => {
    const waits = heldWaits({ auto: true });
    h = await startSenderHarness(
      { pacing: { perNumberRate: 80, perRecipientRate: 5, perRecipientBurst: 1 } },
      { waits },
    );
    await h.openWindow();
    let lent = 0;
    const wait = <T>(work: Promise<T>) => {
      lent++;
      return work;
    };
    const request = (key: string) =>
      createEvent({
        type: "outbound.request",
        tenant: TENANT,
        conversationId: `${TENANT}:${USER}`,
        data: { idempotencyKey: key, to: USER, source: "api", message: text(key) },
      });
    await h.sender.handle(request("s1"), { wait });
    expect(lent).toBe(1); // the Graph API call
    await h.sender.handle(request("s2"), { wait });
    // The second waited one pacing interval, then called the Graph API: both lent the slot.
    expect(waits.asked).toHaveLength(1);
    expect(lent).toBe(3);
    expect(bodies(h)).toEqual(["s1", "s2"]);
  });
});
