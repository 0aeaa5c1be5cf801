import { captureLog } from "@flank/devtools";
import type { createLogger } from "@flank/shared/log";
import { createMemoryStores, type IntegrationStore } from "@flank/shared/store";
import { whatsappFixtures as fx, waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { collect, makeApp, SECRET, signed } from "../test-harness.js";

// Routing by tenant (issue 7 §3): each POST is verified with its number's app secret and only
// enabled integrations' events are published.
const A = "2000001"; // own app secret
const B = "2000002"; // own app secret
const C = "2000003"; // no own secret: the global APP_SECRET
const D = "2000004"; // disabled
const SECRET_A = "tenant-a-app-secret-0001";
const SECRET_B = "tenant-b-app-secret-0002";

const textFor = (pnid: string, wamid: string, body = "hi") =>
  fx.envelope({
    metadata: { display_phone_number: fx.DISPLAY_NUMBER, phone_number_id: pnid },
    contacts: [fx.contact()],
    messages: [{ from: fx.WA_ID, id: wamid, timestamp: fx.TIMESTAMP, type: "text", text: { body } }],
  });

type Body = { error?: { code: string }; received?: number; duplicates?: number; unrouted?: number };

/** Counts store lookups by number, to show resolve() is cached. */
function countingStore(inner: IntegrationStore) {
  const lookups: string[] = [];
  const store: IntegrationStore = {
    ...inner,
    create: (i) => inner.create(i),
    get: (id) => inner.get(id),
    getByVerifyToken: (t) => inner.getByVerifyToken(t),
    list: () => inner.list(),
    update: (id, p) => inner.update(id, p),
    delete: (id) => inner.delete(id),
    getByPhoneNumberId: (n) => {
      lookups.push(n);
      return inner.getByPhoneNumberId(n);
    },
  };
  return { store, lookups };
}

async function setup(opts: { log?: ReturnType<typeof createLogger> } = {}) {
  const base = createMemoryStores();
  const counting = countingStore(base.integrations);
  const stores = { ...base, integrations: counting.store };
  const t = makeApp({ stores, ...(opts.log ? { log: opts.log } : {}) });
  const token = "EAAG-tenant-access-token-1234";
  await t.integrations.create({ phoneNumberId: A, accessToken: token, appSecret: SECRET_A });
  await t.integrations.create({ phoneNumberId: B, accessToken: token, appSecret: SECRET_B });
  await t.integrations.create({ phoneNumberId: C, accessToken: token });
  await t.integrations.create({ phoneNumberId: D, accessToken: token, enabled: false });
  counting.lookups.length = 0;
  const tap = await collect(t.bus);
  const post = (body: object | string, secret: string) =>
    t.app.request("/webhook/whatsapp", signed(body, secret));
  return { ...t, tap, post, lookups: counting.lookups };
}

describe("webhook routing by tenant", () => {
  it("verifies with the number's own app secret and publishes under that tenant", async () => {
    const t = await setup();
    const res = await t.post(textFor(A, "wamid.A1"), SECRET_A);
    expect(res.status).toBe(200);
    await waitFor(() => t.tap.events.length === 1);
    expect(t.tap.events[0]).toMatchObject({ tenant: A, conversationId: `${A}:${fx.WA_ID}` });
    // A number without its own secret uses APP_SECRET.
    expect((await t.post(textFor(C, "wamid.C1"), SECRET)).status).toBe(200);
    await waitFor(() => t.tap.events.length === 2);
  });

  it("refuses a signature made with another tenant's secret, or the global one, publishing nothing", async () => {
    const t = await setup();
    for (const secret of [SECRET_B, SECRET]) {
      const res = await t.post(textFor(A, "wamid.A2"), secret);
      expect(res.status).toBe(403);
      expect(((await res.json()) as Body).error?.code).toBe("signature_invalid");
    }
    const unsigned = await t.app.request("/webhook", {
      method: "POST",
      body: JSON.stringify(textFor(A, "wamid.A3")),
    });
    expect(unsigned.status).toBe(401);
    expect(t.bus.calls).toHaveLength(0);
  });

  it("acks a replayed signed POST without publishing it twice", async () => {
    const t = await setup();
    const body = JSON.stringify(textFor(A, "wamid.REPLAY"));
    const first = await t.post(body, SECRET_A);
    const replay = await t.post(body, SECRET_A);
    expect(await first.json()).toEqual({ received: 1, duplicates: 0 });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: 1, duplicates: 1 });
    await t.post(textFor(A, "wamid.NEXT"), SECRET_A);
    await waitFor(() => t.tap.events.length === 2);
    expect(t.tap.events.map((e) => (e.data as { wamid: string }).wamid)).toEqual([
      "wamid.REPLAY",
      "wamid.NEXT",
    ]);
  });

  it("never publishes as another tenant: an errors-only change naming B in entry.id, signed by A", async () => {
    const t = await setup();
    const own = textFor(A, "wamid.OWN") as { entry: unknown[] };
    const forged = {
      id: B,
      changes: [
        {
          field: "messages",
          value: { messaging_product: "whatsapp", errors: [{ code: 131000, title: "x" }] },
        },
      ],
    };
    const res = await t.post({ ...own, entry: [...own.entry, forged] }, SECRET_A);
    expect(res.status).toBe(200);
    await waitFor(() => t.tap.events.length === 2);
    const tenants = t.bus.calls.flatMap((call) => call.events.map((e) => e.tenant));
    expect(tenants).not.toContain(B);
    const error = t.tap.events.find((e) => e.type === "inbound.error");
    expect(error).toMatchObject({ tenant: "unknown", conversationId: "unknown:system", data: { wabaId: B } });
  });

  it("deduplicates per tenant: B sending A's wamid first does not drop A's message", async () => {
    const t = await setup();
    expect(await (await t.post(textFor(B, "wamid.SHARED", "from B"), SECRET_B)).json()).toEqual({
      received: 1,
      duplicates: 0,
    });
    expect(await (await t.post(textFor(A, "wamid.SHARED", "from A"), SECRET_A)).json()).toEqual({
      received: 1,
      duplicates: 0,
    });
    // Meta redelivering A's message is still a duplicate.
    expect(await (await t.post(textFor(A, "wamid.SHARED", "from A"), SECRET_A)).json()).toEqual({
      received: 1,
      duplicates: 1,
    });
    await waitFor(() => t.tap.events.length === 2);
    expect(t.tap.events.map((e) => e.tenant)).toEqual([B, A]);
  });

  it("refuses one POST naming numbers with different secrets, whichever secret signs it", async () => {
    const t = await setup();
    const a = textFor(A, "wamid.MIX1") as { entry: unknown[] };
    const b = textFor(B, "wamid.MIX2") as { entry: unknown[] };
    const both = { ...a, entry: [...a.entry, ...b.entry] };
    for (const secret of [SECRET_A, SECRET_B, SECRET]) {
      expect((await t.post(both, secret)).status).toBe(403);
    }
    // A duplicate key is two numbers to the scan, one to JSON.parse: refused the same way.
    const dup = JSON.stringify(textFor(A, "wamid.DUPKEY")).replace(
      `"phone_number_id":"${A}"`,
      `"phone_number_id":"${A}","phone_number_id":"${B}"`,
    );
    expect((await t.post(dup, SECRET_A)).status).toBe(403);
    expect(t.bus.calls).toHaveLength(0);
    expect(await t.registry.metrics()).toContain(
      'flank_webhook_signature_failures_total{reason="mixed_secrets"} 4',
    );
  });

  it("refuses a number hidden from the scan behind an escaped key (403, nothing published)", async () => {
    const t = await setup();
    // Signed with A's secret, naming A plainly somewhere, but the real metadata key is escaped and says B.
    const raw = JSON.stringify({ ...textFor(B, "wamid.HIDDEN"), note: { phone_number_id: A } }).replace(
      `"phone_number_id":"${B}"`,
      `"phone_number\\u005fid":"${B}"`,
    );
    expect(JSON.parse(raw).entry[0].changes[0].value.metadata.phone_number_id).toBe(B);
    const res = await t.post(raw, SECRET_A);
    expect(res.status).toBe(403);
    expect(t.bus.calls).toHaveLength(0);
    expect(await t.registry.metrics()).toContain(
      'flank_webhook_signature_failures_total{reason="number_mismatch"} 1',
    );
  });

  it("acks an unknown and a disabled number with 200, counts them by reason, publishes nothing", async () => {
    const t = await setup();
    const unknown = await t.post(textFor("2999999", "wamid.UNKNOWN"), SECRET);
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ received: 1, duplicates: 0, unrouted: 1 });
    const disabled = await t.post(textFor(D, "wamid.DISABLED"), SECRET);
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as Body).unrouted).toBe(1);
    expect(t.bus.calls).toHaveLength(0);
    const metrics = await t.registry.metrics();
    expect(metrics).toContain('flank_webhook_unrouted_total{reason="unknown_integration"} 1');
    expect(metrics).toContain('flank_webhook_unrouted_total{reason="disabled_integration"} 1');
  });

  it("publishes only the enabled tenant's events of a POST that also names a disabled one", async () => {
    const t = await setup();
    const c = textFor(C, "wamid.KEEP") as { entry: unknown[] };
    const d = textFor(D, "wamid.DROP") as { entry: unknown[] };
    const res = await t.post({ ...c, entry: [...c.entry, ...d.entry] }, SECRET);
    expect(await res.json()).toEqual({ received: 2, duplicates: 0, unrouted: 1 });
    await waitFor(() => t.tap.events.length === 1);
    expect(t.bus.calls.flatMap((call) => call.events.map((e) => e.tenant))).toEqual([C]);
  });

  it("resolves each number through the service's cache, not the store on every POST", async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) expect((await t.post(textFor(A, `wamid.C${i}`), SECRET_A)).status).toBe(200);
    expect(t.lookups.filter((n) => n === A)).toHaveLength(1);
  });

  it("looks an unknown number up once per TTL, however many POSTs name it", async () => {
    const t = await setup();
    for (let i = 0; i < 5; i++) {
      const res = await t.post(textFor("2999999", `wamid.U${i}`), SECRET);
      expect(await res.json()).toEqual({ received: 1, duplicates: 0, unrouted: 1 });
      // Unsigned, from anyone: answered without another lookup either.
      expect((await t.post(textFor("2999999", `wamid.X${i}`), "wrong-secret")).status).toBe(403);
    }
    expect(t.lookups.filter((n) => n === "2999999")).toHaveLength(1);
  });

  it("answers 400 to a POST naming more business numbers than Meta ever batches", async () => {
    const t = await setup();
    const entries = Array.from(
      { length: 40 },
      (_, i) => (textFor(String(3000000 + i), `wamid.M${i}`) as { entry: unknown[] }).entry,
    ).flat();
    const res = await t.post({ object: "whatsapp_business_account", entry: entries }, SECRET);
    expect(res.status).toBe(400);
    expect(t.bus.calls).toHaveLength(0);
  });

  it("answers 503 and logs an alert when the number's stored secrets cannot be decrypted", async () => {
    const { log, lines } = captureLog();
    const stores = createMemoryStores();
    const now = new Date().toISOString();
    await stores.integrations.create({
      id: "bad",
      phoneNumberId: A,
      accessToken: "v2:0badc0de:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==:AAAA",
      verifyToken: "tenant-a-verify",
      enabled: true,
      createdAt: now,
      updatedAt: now,
    });
    const t = makeApp({ stores, log });
    const res = await t.app.request("/webhook", signed(textFor(A, "wamid.LOCKED"), SECRET_A));
    expect(res.status).toBe(503);
    const body = (await res.json()) as Body & { error: { message: string } };
    expect(body.error.code).toBe("not_configured");
    expect(body.error.message).not.toMatch(/ENCRYPTION_KEY|0badc0de/); // the caller is not authenticated
    expect(t.bus.calls).toHaveLength(0);
    await waitFor(() => lines.some((l) => l.alert === true && l.level === 50));
  });
});
