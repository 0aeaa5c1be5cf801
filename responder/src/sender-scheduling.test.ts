import { createEvent } from "@flank/shared";
import { waitFor } from "@flank/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type SenderHarness, startSenderHarness, TENANT, USER } from "./sender.harness.js";

const OTHER = "15550002222";
const text = (body = "hello") => ({ type: "text" as const, body });
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
    h = await startSenderHarness();
    await h.openWindow();
    await h.ledger.claim("crashed", "dead-instance", 300);
    await h.request({ message: text(), idempotencyKey: "crashed" });
    await waitFor(() => h.delays.size === 1, { what: "recheck scheduled" });
    expect(h.graph.requests).toHaveLength(0);
    await waitFor(() => h.results.length === 1, { timeoutMs: 3000 });
    expect(h.results[0]).toMatchObject({ status: "sent", idempotencyKey: "crashed" });
    expect(h.graph.requests).toHaveLength(1);
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
      await waitFor(() => h.results.filter((r) => r.idempotencyKey === "twice").length >= 2, {
        timeoutMs: 3000,
      });
      expect(h.graph.requests).toHaveLength(1);
      expect(new Set(h.results.map((r) => r.wamid)).size).toBe(1);
    } finally {
      await second.stop();
    }
  });
});

describe("sender: scheduled retries never block other conversations", () => {
  it("131056 backs off that recipient (4^X s) while another user is served at once", async () => {
    h = await startSenderHarness({ inlineRetryMaxMs: 0 });
    await h.openWindow();
    await h.openWindow(OTHER);
    h.graph.scriptFor(USER, { kind: "error", code: 131056 });
    await h.request({ message: text("to A"), idempotencyKey: "a" });
    await waitFor(() => h.results.some((r) => r.idempotencyKey === "a"));
    expect(h.results[0]).toMatchObject({
      idempotencyKey: "a",
      status: "failed",
      final: false,
      error: { retryable: true },
    });
    const failedAt = Date.now();
    await h.request({ message: text("to B"), idempotencyKey: "b" }, OTHER);
    await waitFor(() => h.results.some((r) => r.idempotencyKey === "b" && r.status === "sent"));
    expect(h.results.some((r) => r.idempotencyKey === "a" && r.status === "sent")).toBe(false);
    await waitFor(() => h.results.some((r) => r.idempotencyKey === "a" && r.status === "sent"), {
      timeoutMs: 4000,
    });
    // 4^0 s = 1 s after the first failure.
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(900);
    expect(h.results.find((r) => r.idempotencyKey === "a" && r.final)).toMatchObject({ attempts: 2 });
  });

  it("130429 pauses the whole business number, then the request goes out", async () => {
    h = await startSenderHarness();
    await h.openWindow();
    h.graph.script({ kind: "error", code: 130429 });
    await h.request({ message: text() });
    await waitFor(() => h.results.some((r) => r.final));
    const [first, second] = h.graph.requests;
    expect(h.results.at(-1)).toMatchObject({ status: "sent", attempts: 2 });
    // The number's bucket was blocked for the retry delay (10 ms base in the harness).
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(8);
  });
});

describe("sender: pacing", () => {
  it("a recipient gets a burst, then one message per interval; other users are not held", async () => {
    h = await startSenderHarness({
      pacing: { perNumberRate: 80, perRecipientRate: 5, perRecipientBurst: 2 },
    });
    await h.openWindow();
    await h.openWindow(OTHER);
    for (const i of [1, 2, 3]) await h.request({ message: text(`m${i}`), idempotencyKey: `p${i}` });
    await h.request({ message: text("other"), idempotencyKey: "o" }, OTHER);
    await waitFor(() => h.results.length === 4);
    const at = (body: string) =>
      h.graph.requests.find((r) => (r.body as { text?: { body?: string } }).text?.body === body)?.at ?? 0;
    expect(at("m3") - at("m1")).toBeGreaterThanOrEqual(150);
    expect(at("m2") - at("m1")).toBeLessThan(150);
  });

  it("a long pacing wait goes to the delay queue instead of blocking the handler", async () => {
    h = await startSenderHarness({
      inlineRetryMaxMs: 0,
      pacing: { perNumberRate: 80, perRecipientRate: 2, perRecipientBurst: 1 },
    });
    await h.openWindow();
    await h.request({ message: text("m1"), idempotencyKey: "q1" });
    await h.request({ message: text("m2"), idempotencyKey: "q2" });
    await waitFor(() => h.results.length === 2, { timeoutMs: 3000 });
    expect(h.results.map((r) => r.idempotencyKey)).toEqual(["q1", "q2"]);
    expect(h.logs.some((l) => l.msg === "send deferred")).toBe(true);
  });
});
