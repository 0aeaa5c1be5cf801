import { waitFor } from "@flank/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countOf } from "./metrics.js";
import type { SendLedger } from "./send-ledger.js";
import { MemorySendLedger } from "./send-ledger-memory.js";
import { CONVERSATION, type SenderHarness, startSenderHarness, TENANT, USER } from "./sender.harness.js";

const text = (body = "hello") => ({ type: "text" as const, body });
let h: SenderHarness;

/** Through the service, as the gateway stores it: the token encrypted at rest. */
async function integration(extra: Record<string, unknown> = {}) {
  await h.integrations.create({
    phoneNumberId: TENANT,
    accessToken: "TENANT_TOKEN",
    verifyToken: "vt-sender-test",
    ...extra,
  });
}

describe("sender: delivery", () => {
  beforeEach(async () => {
    h = await startSenderHarness();
  });
  afterEach(() => h.stop());

  it("sends with the integration's token, stores the message with its wamid and publishes the result", async () => {
    await integration();
    await h.openWindow();
    const event = await h.request({ message: text(), idempotencyKey: "key-1", replyTo: "wamid.IN" });
    await waitFor(() => h.results.length === 1, { what: "result" });
    const [result] = h.results;
    expect(result).toMatchObject({
      idempotencyKey: "key-1",
      status: "sent",
      attempts: 1,
      final: true,
      to: USER,
    });
    expect(result?.wamid).toMatch(/^wamid\./);
    expect(result?.response).toMatchObject({
      messaging_product: "whatsapp",
      messages: [{ id: result?.wamid }],
    });
    expect(h.graph.requests[0]).toMatchObject({
      path: `/v25.0/${TENANT}/messages`,
      headers: { authorization: "Bearer TENANT_TOKEN" },
      body: { to: `+${USER}`, type: "text", text: { body: "hello" }, context: { message_id: "wamid.IN" } },
    });
    const stored = await h.stores.messages.get("key-1");
    expect(stored).toMatchObject({
      direction: "outbound",
      wamid: result?.wamid,
      conversationId: CONVERSATION,
    });
    expect((await h.stores.messages.getByWamid(result?.wamid ?? ""))?.id).toBe("key-1");
    expect(event.type).toBe("outbound.request");
  });

  it("falls back to the configured token without an integration", async () => {
    await h.openWindow();
    await h.request({ message: text() });
    await waitFor(() => h.results.length === 1);
    expect(h.graph.requests[0]?.headers.authorization).toBe("Bearer CONFIG_TOKEN");
  });

  it("marks read with the typing indicator, with no window check", async () => {
    await h.request({ message: { type: "read", messageId: "wamid.IN", typing: true } });
    await waitFor(() => h.results.length === 1);
    expect(h.results[0]).toMatchObject({ status: "sent", final: true });
    expect(h.graph.sent()[0]).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.IN",
      typing_indicator: { type: "text" },
    });
  });
});

describe("sender: the 24-hour window", () => {
  beforeEach(async () => {
    h = await startSenderHarness();
  });
  afterEach(() => h.stop());

  it("closed and no template: fails with window_closed without calling Meta", async () => {
    await h.openWindow(USER, new Date(Date.now() - 25 * 3600_000));
    await h.request({ message: text() });
    await waitFor(() => h.dlq.length === 1 && h.results.some((r) => r.final), { what: "dlq and result" });
    expect(h.results[0]).toMatchObject({
      status: "failed",
      final: true,
      error: { code: 131047, reason: "window_closed" },
    });
    expect(h.graph.requests).toHaveLength(0);
    expect(h.dlq[0]).toMatchObject({ topic: "outbound.request", group: "sender" });
  });

  it("reads the window from the router's session cache before the store (the store may be another process's)", async () => {
    const id = `${TENANT}:${USER}`;
    const at = new Date().toISOString();
    await h.cache.putConversation({
      id,
      tenant: TENANT,
      user: USER,
      stage: null,
      route: "bot",
      lastInboundAt: at,
      createdAt: at,
      updatedAt: at,
      version: 1,
    });
    await h.request({ message: text() });
    await waitFor(() => h.results.length === 1);
    expect(h.results[0]).toMatchObject({ status: "sent" });
    expect(h.graph.sent()[0]).toMatchObject({ type: "text" });
  });

  it("reads a conversation's window once while it is open, not on every send", async () => {
    await h.openWindow();
    let reads = 0;
    const read = h.cache.getConversation.bind(h.cache);
    h.cache.getConversation = (id) => {
      reads++;
      return read(id);
    };
    for (const i of [1, 2, 3]) await h.request({ message: text(`m${i}`), idempotencyKey: `w${i}` });
    await waitFor(() => h.results.length === 3);
    expect(h.results.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
    expect(reads).toBe(1);
  });

  it("a session cache error falls back to the store", async () => {
    await h.openWindow();
    h.cache.getConversation = () => Promise.reject(new Error("redis down"));
    await h.request({ message: text() });
    await waitFor(() => h.results.length === 1);
    expect(h.results[0]).toMatchObject({ status: "sent" });
    expect(h.logs.some((l) => l.msg === "session cache unavailable; reading the store")).toBe(true);
  });

  it("closed with a template fallback: sends the template instead", async () => {
    await integration({ templateFallback: { name: "reopen", language: "en_US" } });
    await h.request({ message: text() });
    await waitFor(() => h.results.length === 1);
    expect(h.results[0]).toMatchObject({ status: "sent" });
    expect(h.graph.sent()[0]).toMatchObject({
      type: "template",
      template: { name: "reopen", language: { code: "en_US" } },
    });
  });

  it("Meta says 131047 although our record says open: the template goes out", async () => {
    await integration({ templateFallback: { name: "reopen", language: "en_US" } });
    await h.openWindow();
    h.graph.script({ kind: "error", code: 131047 });
    await h.request({ message: text() });
    await waitFor(() => h.results.length === 1);
    expect(h.results[0]).toMatchObject({ status: "sent", attempts: 2 });
    expect(h.graph.sent().map((b) => b.type)).toEqual(["text", "template"]);
  });
});

describe("sender: errors by code", () => {
  beforeEach(async () => {
    h = await startSenderHarness();
    await h.openWindow();
  });
  afterEach(() => h.stop());

  it("retries transient errors (131000, 5xx, timeout) and then sends", async () => {
    h.graph.script({ kind: "error", code: 131000 }, { kind: "raw", status: 502 }, { kind: "hang" });
    await h.request({ message: text() });
    await waitFor(() => h.results.some((r) => r.final), { timeoutMs: 5000 });
    expect(h.results.at(-1)).toMatchObject({ status: "sent", attempts: 4, final: true });
    expect(countOf(h.metrics.counts, "sends", { outcome: "retry" })).toBe(3);
  });

  it("a permanent error fails at once and goes to the dlq with Meta's body", async () => {
    h.graph.script({ kind: "error", code: 131026 });
    await h.request({ message: text() });
    await waitFor(() => h.dlq.length === 1 && h.results.some((r) => r.final));
    expect(h.graph.requests).toHaveLength(1);
    expect(h.results[0]).toMatchObject({
      status: "failed",
      final: true,
      attempts: 1,
      error: { code: 131026, reason: "undeliverable", retryable: false },
      response: { error: { code: 131026 } },
    });
  });

  it("an auth error fails and logs an alert", async () => {
    h.graph.script({ kind: "error", code: 190 });
    await h.request({ message: text() });
    await waitFor(() => h.dlq.length === 1 && h.results.some((r) => r.final));
    expect(h.logs.some((l) => l.alert === true && l.level === 50 && l.reason === "auth")).toBe(true);
  });

  it("gives up after the last attempt", async () => {
    h.graph.setHandler(() => ({ kind: "error", code: 2 }));
    await h.request({ message: text() });
    await waitFor(() => h.dlq.length === 1 && h.results.some((r) => r.final), { timeoutMs: 5000 });
    expect(h.graph.requests).toHaveLength(4);
    expect(h.results.at(-1)).toMatchObject({
      final: true,
      attempts: 4,
      error: { reason: "service_unavailable_retries_exhausted" },
    });
  });
});

describe("sender: a ledger that lost its record (Redis restarted without its last second)", () => {
  // A ledger whose records can be lost, as Redis loses its last unsynced second at a kill -9 with
  // appendfsync everysec: the request comes again (its acknowledgement was lost too), unrecorded.
  let records = new MemorySendLedger(60_000);
  const ledger: SendLedger = {
    claim: (...args) => records.claim(...args),
    defer: (...args) => records.defer(...args),
    finish: (...args) => records.finish(...args),
  };
  beforeEach(async () => {
    records = new MemorySendLedger(60_000);
    h = await startSenderHarness({}, { ledger });
    await h.openWindow();
  });
  afterEach(() => h.stop());

  it("is not sent again when the store holds the wamid Meta gave it", async () => {
    const event = await h.request({ message: text(), idempotencyKey: "key-lost" });
    await waitFor(() => h.results.length === 1, { what: "the first result" });
    const wamid = h.results[0]?.wamid;
    expect(wamid).toMatch(/^wamid\./);
    records = new MemorySendLedger(60_000);
    await h.bus.publish(event);
    await waitFor(() => h.results.length === 2, { what: "the redelivery's result" });
    expect(h.graph.requests).toHaveLength(1);
    expect(h.results[1]).toMatchObject({ idempotencyKey: "key-lost", status: "sent", wamid, final: true });
    // Recorded again: a third delivery is answered from the ledger.
    expect(await records.claim("key-lost", "another sender", 5000)).toMatchObject({ kind: "done" });
  });

  it("is sent when the stored message has no wamid (Meta never took it)", async () => {
    // As if a sender had stored the message and died before its Graph API call, and its claim was lost.
    await h.stores.messages.insert({
      id: "key-unsent",
      conversationId: CONVERSATION,
      tenant: TENANT,
      direction: "outbound",
      from: TENANT,
      to: USER,
      type: "text",
      body: "hello",
      timestamp: new Date().toISOString(),
      status: "queued",
      statuses: [],
      raw: null,
    });
    await h.request({ message: text(), idempotencyKey: "key-unsent" });
    await waitFor(() => h.results.length === 1, { what: "the result" });
    expect(h.graph.requests).toHaveLength(1);
    expect(h.results[0]).toMatchObject({
      idempotencyKey: "key-unsent",
      status: "sent",
      attempts: 1,
      final: true,
    });
  });
});
