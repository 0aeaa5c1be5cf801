import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { normalizeWebhook, SIGNATURE_HEADER, verifySignature } from "@flank/shared/whatsapp";
import { waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GraphTestServer, startGraphServer } from "./graph-server.js";
import { inboundTextWebhook } from "./meta-payloads.js";

const SECRET = "sim-app-secret";
const PNID = "106540352242922";

/** A webhook receiver standing in for the gateway: checks each signature, answers `answer()`. */
interface Receiver {
  url: string;
  payloads: { body: Record<string, unknown>; signature: "ok" | "missing" | "invalid" }[];
  answer: () => number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: "", payloads: [], answer: () => 200, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const signature = verifySignature(raw, req.headers[SIGNATURE_HEADER] as string | undefined, SECRET);
    receiver.payloads.push({ body: JSON.parse(raw.toString("utf8")), signature });
    res.writeHead(receiver.answer()).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/whatsapp`;
  receiver.close = () => new Promise((r) => server.close(() => r()));
  return receiver;
}

let sim: GraphTestServer;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startGraphServer({
    token: "TOKEN",
    webhook: { url: receiver.url, appSecret: SECRET },
    statusTiming: { deliveredMs: 5, readMs: 10, retryDelayMs: 5 },
  });
});
afterAll(async () => {
  await sim.stop();
  await receiver.close();
});
afterEach(async () => {
  await sim.idle();
  sim.reset();
  receiver.payloads.length = 0;
  receiver.answer = () => 200;
});

const call = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
  fetch(`${sim.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      "content-type": "application/json",
      ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? "TOKEN"}` }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
type Envelope = { entry: { changes: { value: Record<string, unknown> }[] }[] };
const changeValue = (body: unknown) => (body as Envelope | undefined)?.entry[0]?.changes[0]?.value;
const text = (to: string) => ({ messaging_product: "whatsapp", to, type: "text", text: { body: "hello" } });
const statusesOf = (p: { body: Record<string, unknown> }) => {
  const events = normalizeWebhook(p.body).events;
  return events.map((e) => (e.type === "inbound.status" ? `${e.data.status}@${e.conversationId}` : e.type));
};

describe("Cloud API simulator: status webhooks", () => {
  it("sends signed sent, delivered and read webhooks shaped like Meta's after a send", async () => {
    const res = await call(`/v25.0/${PNID}/messages`, { body: text("+16505551234") });
    const wamid = ((await res.json()) as { messages: { id: string }[] }).messages[0]?.id;
    expect(wamid).toMatch(/^wamid\./);
    // The receiver sees a webhook before the simulator has read its answer: wait for both.
    await waitFor(() => receiver.payloads.length === 3 && sim.statuses.every((st) => st.httpStatus !== 0), {
      what: "three status webhooks, answered",
    });

    expect(receiver.payloads.map((p) => p.signature)).toEqual(["ok", "ok", "ok"]);
    expect(receiver.payloads.flatMap(statusesOf)).toEqual([
      `sent@${PNID}:16505551234`,
      `delivered@${PNID}:16505551234`,
      `read@${PNID}:16505551234`,
    ]);
    const delivered = receiver.payloads[1]?.body as {
      entry: { changes: { value: Record<string, unknown> }[] }[];
    };
    const value = delivered.entry[0]?.changes[0]?.value;
    expect(value).toMatchObject({
      messaging_product: "whatsapp",
      metadata: { phone_number_id: PNID, display_phone_number: expect.any(String) },
      contacts: [{ wa_id: "16505551234", user_id: expect.stringMatching(/^US\.\d+$/) }],
      statuses: [
        {
          id: wamid,
          status: "delivered",
          timestamp: expect.stringMatching(/^\d+$/),
          recipient_id: "16505551234",
          pricing: { pricing_model: "PMP", category: "service" },
        },
      ],
    });
    // pricing appears on one status only (docs/whatsapp-contract.md "Statuses")
    const sent = receiver.payloads[0]?.body as typeof delivered;
    expect(sent.entry[0]?.changes[0]?.value.statuses).toEqual([
      expect.not.objectContaining({ pricing: expect.anything() }),
    ]);
    expect(sim.accepted).toMatchObject([{ wamid, phoneNumberId: PNID, to: "+16505551234" }]);
    expect(sim.statuses.map((s) => [s.status, s.httpStatus])).toEqual([
      ["sent", 200],
      ["delivered", 200],
      ["read", 200],
    ]);
  });

  it("sends no status for read receipts and typing indicators", async () => {
    const res = await call(`/v25.0/${PNID}/messages`, {
      body: {
        messaging_product: "whatsapp",
        status: "read",
        message_id: "wamid.X",
        typing_indicator: { type: "text" },
      },
    });
    expect(await res.json()).toEqual({ success: true });
    await sim.idle();
    expect(receiver.payloads).toEqual([]);
  });

  it("retries a status webhook the receiver did not answer 200, like Meta", async () => {
    let calls = 0;
    receiver.answer = () => (++calls === 1 ? 503 : 200);
    sim.setStatusTiming({ readMs: undefined });
    await call(`/v25.0/${PNID}/messages`, { body: text("16505550000") });
    await waitFor(() => sim.statuses.length === 2 && sim.statuses.every((s) => s.httpStatus === 200));
    expect(sim.statuses[0]).toMatchObject({ status: "sent", attempts: 2, httpStatus: 200 });
    sim.setStatusTiming({ readMs: 10 });
  });

  it("accepts then fails: a failed status with Meta's error and no contacts", async () => {
    sim.script({ kind: "accept-then-fail", code: 131026 });
    const res = await call(`/v25.0/${PNID}/messages`, { body: text("16505550001") });
    expect(res.status).toBe(200);
    await waitFor(() => receiver.payloads.length === 1);
    await sim.idle();
    const value = changeValue(receiver.payloads[0]?.body);
    expect(value?.contacts).toBeUndefined();
    expect(value?.statuses).toMatchObject([
      {
        status: "failed",
        recipient_id: "16505550001",
        errors: [{ code: 131026, error_data: { details: expect.any(String) } }],
      },
    ]);
    expect(receiver.payloads).toHaveLength(1);
  });
});

describe("Cloud API simulator: endpoints", () => {
  it("serves media metadata, then the bytes only with a bearer token", async () => {
    sim.addMedia("M9", { mime_type: "image/png", bytes: Buffer.from("PNGDATA") });
    const meta = (await (await call("/v25.0/M9?phone_number_id=1")).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      id: "M9",
      mime_type: "image/png",
      file_size: 7,
      messaging_product: "whatsapp",
    });
    expect(meta).not.toHaveProperty("bytes");
    const url = String(meta.url);
    const ok = await fetch(url, { headers: { authorization: "Bearer TOKEN" } });
    expect(ok.headers.get("content-type")).toBe("image/png");
    expect(await ok.text()).toBe("PNGDATA");
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 190 } });
  });

  it("exchanges an Embedded Signup code and subscribes the app to a WABA", async () => {
    const token = await call("/v25.0/oauth/access_token?client_id=1&client_secret=s&code=abc");
    expect(await token.json()).toMatchObject({
      access_token: expect.stringMatching(/^EAAG/),
      token_type: "bearer",
    });
    const missing = await call("/v25.0/oauth/access_token?client_id=1");
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 100, type: "OAuthException" } });
    expect(await (await call("/v25.0/555/subscribed_apps", { method: "POST" })).json()).toEqual({
      success: true,
    });
    expect(await (await call("/v25.0/555/subscribed_apps")).json()).toMatchObject({
      data: [expect.any(Object)],
    });
  });

  it("rejects a wrong token with 190 and an invalid send with 100", async () => {
    const bad = await call(`/v25.0/${PNID}/messages`, { body: text("1"), token: "WRONG" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 190, type: "OAuthException" } });
    const invalid = await call(`/v25.0/${PNID}/messages`, {
      body: { messaging_product: "whatsapp", type: "text" },
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 100, fbtrace_id: expect.any(String) } });
  });
});

describe("Cloud API simulator: faults over the control endpoint", () => {
  it("queues replies for one recipient, adds latency, and clears", async () => {
    const set = await call("/__sim/faults", {
      body: { to: "+16505559999", replies: [{ kind: "error", code: 130429 }], times: 2, latencyMs: 40 },
      token: null,
    });
    expect(await set.json()).toMatchObject({ queued: 2, faults: { latencyMs: 40 } });
    const started = Date.now();
    const limited = await call(`/v25.0/${PNID}/messages`, { body: text("16505559999") });
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 130429 } });
    expect((await call(`/v25.0/${PNID}/messages`, { body: text("16505551111") })).status).toBe(200);

    expect(await (await call("/__sim/faults", { method: "DELETE" })).json()).toMatchObject({
      faults: { latencyMs: 0 },
    });
    expect((await call(`/v25.0/${PNID}/messages`, { body: text("16505559999") })).status).toBe(200);
    const sent = (await (await call("/__sim/sent")).json()) as { to: string }[];
    expect(sent.map((s) => s.to)).toEqual(["16505551111", "16505559999"]);
    // control calls are not Graph API requests
    expect(sim.requests.every((r) => !r.path.startsWith("/__sim/"))).toBe(true);
  });

  it("answers a bad fault request with 400 naming the field", async () => {
    const res = await call("/__sim/faults", { body: { failRate: 2 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("failRate");
  });

  it("fails a share of sends with a standing failure rate (5xx)", async () => {
    sim.setFaults({ failRate: 1, failCode: 131000 });
    const res = await call(`/v25.0/${PNID}/messages`, { body: text("1") });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 131000 } });
    // read receipts are not sends
    const read = await call(`/v25.0/${PNID}/messages`, {
      body: { messaging_product: "whatsapp", status: "read", message_id: "wamid.Y" },
    });
    expect(read.status).toBe(200);
  });
});

describe("Meta payload builders", () => {
  it("builds an inbound text webhook the gateway's normalizer reads back", () => {
    const { payload, wamid } = inboundTextWebhook({
      phoneNumberId: PNID,
      from: "16505551234",
      name: "Ana",
      text: "hi",
    });
    const [event] = normalizeWebhook(payload).events;
    expect(event).toMatchObject({
      type: "inbound.message",
      conversationId: `${PNID}:16505551234`,
      data: { wamid, from: "16505551234", profileName: "Ana", type: "text", text: "hi" },
    });
  });
});
