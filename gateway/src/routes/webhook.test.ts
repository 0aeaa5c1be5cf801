import type { FlankEvent } from "@flank/shared/contract";
import { createMemoryStores } from "@flank/shared/store";
import { whatsappFixtures as fx, waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { collect, makeApp, signed, VERIFY } from "../test-harness.js";
import { WEBHOOK_PATHS } from "./webhook.js";

const verifyUrl = (path: string, params: Record<string, string>) =>
  `${path}?${Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&")}`;

const textMessage = (id: string, body = "hello") => fx.inbound({ id, type: "text", text: { body } });

describe("GET webhook verification (docs/whatsapp-contract.md: Verification)", () => {
  it.each(WEBHOOK_PATHS)("echoes the challenge as text/plain on %s", async (path) => {
    const { app } = makeApp();
    const res = await app.request(
      verifyUrl(path, { "hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("1158201444");
  });

  it.each([
    ["wrong token", { "hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "nope" }],
    ["wrong mode", { "hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY }],
    ["no token", { "hub.mode": "subscribe", "hub.challenge": "1" }],
    ["no challenge", { "hub.mode": "subscribe", "hub.verify_token": VERIFY }],
    ["PHP-style underscored names", { hub_mode: "subscribe", hub_challenge: "1", hub_verify_token: VERIFY }],
  ])("answers 403 for %s", async (_name, params) => {
    const { app } = makeApp();
    const res = await app.request(verifyUrl("/webhook/whatsapp", params));
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string }; requestId: string };
    expect(body.error.code).toBe("forbidden");
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("accepts an enabled integration's verify token, not a disabled one's", async () => {
    const { app, integrations } = makeApp({ env: { VERIFY_TOKEN: "" } });
    const base = { accessToken: "tenant-access-token" };
    await integrations.create({ ...base, phoneNumberId: "1000001", verifyToken: "tenant-one" });
    await integrations.create({
      ...base,
      phoneNumberId: "1000002",
      verifyToken: "tenant-two",
      enabled: false,
    });
    const ask = (token: string) =>
      app.request(
        verifyUrl("/webhook", { "hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": token }),
      );
    expect((await ask("tenant-one")).status).toBe(200);
    expect((await ask("tenant-two")).status).toBe(403);
    expect((await ask(VERIFY)).status).toBe(403); // VERIFY_TOKEN is unset here
  });

  it("answers 503 (Meta retries) when the integration's stored secrets cannot be decrypted", async () => {
    const stores = createMemoryStores();
    const now = new Date().toISOString();
    // Written under another key (or altered): not readable with this gateway's ENCRYPTION_KEY.
    await stores.integrations.create({
      id: "i1",
      phoneNumberId: "1000001",
      accessToken: "v2:0badc0de:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA",
      verifyToken: "tenant-one",
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
    const { app } = makeApp({ stores });
    const res = await app.request(
      verifyUrl("/webhook", {
        "hub.mode": "subscribe",
        "hub.challenge": "42",
        "hub.verify_token": "tenant-one",
      }),
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_configured");
  });
});

describe("POST webhook: signature (docs/whatsapp-contract.md: Signatures)", () => {
  it("publishes a signed webhook's events in one call with their dedup keys, before the 200", async () => {
    const { app, bus } = makeApp();
    const tap = await collect(bus);
    const res = await app.request("/webhook/whatsapp", signed(textMessage("wamid.ONE")));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, duplicates: 0 });
    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]?.opts?.dedupKeys).toEqual([`${fx.PNID}:wamid.ONE`]);
    await waitFor(() => tap.events.length === 1);
    expect(tap.events[0]).toMatchObject({
      type: "inbound.message",
      tenant: fx.PNID,
      conversationId: `${fx.PNID}:${fx.WA_ID}`,
      data: { wamid: "wamid.ONE", text: "hello", profileName: "Sheena Nelson" },
    });
  });

  it("answers 401 without a signature and 403 with a wrong one, publishing nothing", async () => {
    const { app, bus, registry } = makeApp();
    const raw = JSON.stringify(textMessage("wamid.X"));
    const missing = await app.request("/webhook", { method: "POST", body: raw });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("signature_missing");
    const wrong = await app.request("/webhook", signed(raw, "another-secret"));
    expect(wrong.status).toBe(403);
    const tampered = await app.request("/webhook", { ...signed(raw), body: raw.replace("hello", "HELLO") });
    expect(tampered.status).toBe(403);
    expect(bus.calls).toHaveLength(0);
    const metrics = await registry.metrics();
    expect(metrics).toContain('flank_webhook_signature_failures_total{reason="missing"} 1');
    expect(metrics).toContain('flank_webhook_signature_failures_total{reason="invalid"} 2');
  });

  it("checks the signature before parsing: a bad signature on malformed JSON is 403, not 400", async () => {
    const { app } = makeApp();
    const res = await app.request("/webhook", signed("{not json", "wrong"));
    expect(res.status).toBe(403);
  });

  it("verifies bodies with \\u escapes over the exact bytes", async () => {
    const { app, bus } = makeApp();
    const tap = await collect(bus);
    const raw = JSON.stringify(textMessage("wamid.U", "äöå")).replace("äöå", "\\u00e4\\u00f6\\u00e5");
    expect(raw).toContain("\\u00e4");
    const res = await app.request("/webhook", signed(raw));
    expect(res.status).toBe(200);
    await waitFor(() => tap.events.length === 1);
    expect((tap.events[0]?.data as { text?: string } | undefined)?.text).toBe("äöå");
  });

  it("accepts unsigned webhooks only when no app secret is configured", async () => {
    const { app } = makeApp({ env: { APP_SECRET: "" } });
    const res = await app.request("/webhook", {
      method: "POST",
      body: JSON.stringify(textMessage("wamid.N")),
    });
    expect(res.status).toBe(200);
  });
});

describe("POST webhook: body handling", () => {
  it("answers 413 for a body over 3 MB plus margin, while reading", async () => {
    const { app, bus } = makeApp();
    const huge = `{"object":"${"x".repeat(3.5 * 1024 * 1024)}"}`;
    const res = await app.request("/webhook", signed(huge));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(bus.calls).toHaveLength(0);
  });

  it("answers 413 from Content-Length alone, before reading", async () => {
    const { app } = makeApp();
    const req = new Request("http://gateway/webhook", {
      ...signed("{}"),
      headers: { "content-length": String(10 * 1024 * 1024), "x-hub-signature-256": "sha256=00" },
    });
    const res = await app.request(req);
    expect(res.status).toBe(413);
  });

  it.each([
    ["malformed JSON", '{"entry": ['],
    ["a JSON array", "[]"],
    ["a JSON string", '"hello"'],
  ])("answers 400 for %s", async (_name, raw) => {
    const { app, bus } = makeApp();
    const res = await app.request("/webhook", signed(raw));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
    expect(bus.calls).toHaveLength(0);
  });

  it("publishes every field other than messages (nothing dropped); unknown fields are counted", async () => {
    const { app, bus, registry } = makeApp();
    const tap = await collect(bus);
    const res = await app.request("/webhook", signed(fx.TEMPLATE_STATUS_BODY));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1, duplicates: 0 });
    const unknown = fx.fieldBody("brand_new_field", { anything: 1 }, false);
    expect((await app.request("/webhook", signed(unknown))).status).toBe(200);
    await waitFor(() => tap.events.length === 2);
    expect(tap.events.map((e) => e.type)).toEqual(["template.update", "inbound.field"]);
    expect(tap.events[0]?.data).toMatchObject({ event: "APPROVED", name: "order_confirmation" });
    expect(tap.events[1]?.data).toMatchObject({ field: "brand_new_field", value: { anything: 1 } });
    const metrics = await registry.metrics();
    expect(metrics).toContain('flank_webhook_unknown_fields_total{field="brand_new_field"} 1');
    expect(metrics).toContain(
      'flank_webhook_events_total{topic="template.update",type="message_template_status_update"} 1',
    );
  });

  it.each(fx.FIELD_CASES)("answers 200 and publishes every event of $name", async (c) => {
    const { app, bus } = makeApp();
    const tap = await collect(bus);
    const res = await app.request("/webhook", signed(c.body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: c.events.length, duplicates: 0 });
    await waitFor(() => tap.events.length === c.events.length);
    expect(tap.events.map((e) => e.type)).toEqual(c.events.map((e) => e.type));
  });

  it("publishes unknown message types as unsupported and ignores extra keys (no 5xx)", async () => {
    const { app, bus } = makeApp();
    const tap = await collect(bus);
    const body = fx.inbound({ id: "wamid.H", type: "hologram", hologram: { x: 1 }, surprise: [1, 2] });
    (body as { extra?: unknown }).extra = { deeply: { nested: true } };
    const res = await app.request("/webhook", signed(body));
    expect(res.status).toBe(200);
    await waitFor(() => tap.events.length === 1);
    expect(tap.events[0]?.data).toMatchObject({ type: "unsupported", unsupportedType: "hologram" });
  });

  it("publishes messages, statuses and errors of one POST in one call", async () => {
    const { app, bus, registry } = makeApp();
    const body = fx.envelope({
      contacts: [fx.contact()],
      messages: [
        { from: fx.WA_ID, id: "wamid.M1", timestamp: fx.TIMESTAMP, type: "text", text: { body: "a" } },
        { from: fx.WA_ID, id: "wamid.M2", timestamp: fx.TIMESTAMP, type: "image", image: { id: "9" } },
      ],
      statuses: [{ id: "wamid.S1", status: "delivered", timestamp: fx.TIMESTAMP, recipient_id: fx.WA_ID }],
      errors: [{ code: 131052, title: "Media download error" }],
    });
    const res = await app.request("/webhook", signed(body));
    expect(await res.json()).toEqual({ received: 4, duplicates: 0 });
    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]?.events.map((e) => e.type)).toEqual([
      "inbound.message",
      "inbound.message",
      "inbound.status",
      "inbound.error",
    ]);
    expect(bus.calls[0]?.opts?.dedupKeys?.slice(0, 3)).toEqual([
      `${fx.PNID}:wamid.M1`,
      `${fx.PNID}:wamid.M2`,
      `${fx.PNID}:wamid.S1:delivered`,
    ]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('flank_webhook_events_total{topic="inbound.message",type="image"} 1');
    expect(metrics).toContain('flank_webhook_events_total{topic="inbound.status",type="delivered"} 1');
  });
});

describe("POST webhook: durable ack and redelivery (docs/architecture.md: Guarantees)", () => {
  it("acks Meta's redelivery of a wamid with 200 and does not publish it again", async () => {
    const { app, bus, registry } = makeApp();
    const tap = await collect(bus);
    const body = textMessage("wamid.DUP");
    expect(await (await app.request("/webhook", signed(body))).json()).toEqual({
      received: 1,
      duplicates: 0,
    });
    const again = await app.request("/webhook", signed(body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: 1, duplicates: 1 });
    await app.request("/webhook", signed(textMessage("wamid.AFTER")));
    await waitFor(() => tap.events.length === 2);
    expect(tap.events.map((e) => (e.data as { wamid: string }).wamid)).toEqual(["wamid.DUP", "wamid.AFTER"]);
    expect(await registry.metrics()).toContain("flank_webhook_duplicates_dropped_total 1");
  });

  it("answers 503 when the bus is down, and a failed append does not mark the wamid as seen", async () => {
    const { app, bus, inner } = makeApp();
    const seen: FlankEvent[] = [];
    const consumer = await inner.consume({
      topic: "inbound.message",
      group: "webhook-test",
      handler: async (e) => {
        seen.push(e);
      },
    });
    try {
      bus.failNext = 1;
      const body = textMessage("wamid.RETRY");
      const down = await app.request("/webhook", signed(body));
      expect(down.status).toBe(503);
      expect(((await down.json()) as { error: { code: string } }).error.code).toBe("bus_unavailable");
      // Meta retries the same payload: it is published this time, exactly once.
      const retry = await app.request("/webhook", signed(body));
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual({ received: 1, duplicates: 0 });
      await waitFor(() => seen.length === 1);
      expect((seen[0]?.data as { wamid?: string } | undefined)?.wamid).toBe("wamid.RETRY");
      expect(bus.calls).toHaveLength(2);
    } finally {
      await consumer.close();
    }
  });
});
