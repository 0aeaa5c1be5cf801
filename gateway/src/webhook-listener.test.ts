import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import type { IntegrationService } from "@flank/shared";
import { captureLog, whatsappFixtures as fx, waitFor } from "@flank/shared/testing";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WEBHOOK_BODY_LIMIT } from "./body.js";
import { type RunningGateway, startGateway } from "./gateway.js";
import { WEBHOOK_PATHS } from "./routes/webhook.js";
import { type MakeAppOptions, makeApp, makeDeps, signed, VERIFY } from "./test-harness.js";

// The URLs the fast path claimed, to tell its answers from Hono's behind the same server.
const claimed = vi.hoisted(() => [] as string[]);
vi.mock("./webhook-listener.js", async (original) => {
  const mod = await original<typeof import("./webhook-listener.js")>();
  return {
    ...mod,
    createWebhookListener: async (...args: Parameters<typeof mod.createWebhookListener>) => {
      const listener = await mod.createWebhookListener(...args);
      return (...call: Parameters<typeof listener>) => {
        const took = listener(...call);
        if (took) claimed.push(call[0].url ?? "");
        return took;
      };
    },
  };
});

// The node:http fast path (webhook-listener.ts) must answer webhook POSTs exactly like the Hono
// route: each request goes to both, the route through app.request(), the fast path over a socket.

const text = (wamid: string) => fx.inbound({ id: wamid, type: "text", text: { body: "hi" } });
const raw = JSON.stringify(text("wamid.P1"));
const tooBig = `{"object":"${"x".repeat(WEBHOOK_BODY_LIMIT)}"}`;
const tooDeep = `{"a":${"[".repeat(100)}${"]".repeat(100)}}`;
const unknownNumber = fx.envelope({
  metadata: { display_phone_number: fx.DISPLAY_NUMBER, phone_number_id: "2999999" },
  contacts: [fx.contact()],
  messages: [{ from: fx.WA_ID, id: "wamid.U1", timestamp: fx.TIMESTAMP, type: "text", text: { body: "x" } }],
});
const withHeaders = (init: RequestInit, headers: Record<string, string>): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), ...headers },
});
/** Sent without a Content-Length (chunked): refused by the bytes read. */
const streamed = (body: string): RequestInit =>
  ({
    ...signed(body),
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    }),
    duplex: "half",
  }) as RequestInit;
const SENT_ID = "meta-delivery-0042";

const cases: [name: string, path: string, init: () => RequestInit][] = [
  ["a signed webhook", "/webhook/whatsapp", () => signed(raw)],
  ["its redelivery", "/webhook/whatsapp", () => signed(raw)],
  ["a signed webhook on the root path", "/webhook", () => signed(text("wamid.P2"))],
  ["a signed webhook on the API path", "/api/v1/webhooks/whatsapp", () => signed(text("wamid.P3"))],
  ["a query string", "/webhook/whatsapp?source=meta&x=1", () => signed(text("wamid.P4"))],
  ["a bad signature", "/webhook", () => signed(raw, "not-the-secret")],
  ["no signature", "/api/v1/webhooks/whatsapp", () => ({ method: "POST", body: raw })],
  ["invalid JSON", "/webhook/whatsapp", () => signed("{not json")],
  ["a JSON array", "/webhook/whatsapp", () => signed("[]")],
  ["nesting too deep", "/webhook/whatsapp", () => signed(tooDeep)],
  [
    "too large by Content-Length",
    "/webhook",
    () => withHeaders(signed(tooBig), { "content-length": String(Buffer.byteLength(tooBig)) }),
  ],
  ["too large by the bytes read", "/webhook", () => streamed(tooBig)],
  ["an unknown number", "/webhook/whatsapp", () => signed(unknownNumber)],
  ["a sent request id", "/webhook", () => withHeaders(signed(text("wamid.P5")), { "x-request-id": SENT_ID })],
  ["an invalid request id", "/webhook", () => withHeaders(signed(raw), { "x-request-id": "not valid!" })],
];

/** Set by the transport, not by the gateway: left out of the comparison. */
const TRANSPORT = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

/** Status, JSON body and headers, with request ids replaced by where they came from. */
async function answerOf(res: Response) {
  const body = (await res.json()) as Record<string, unknown>;
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !TRANSPORT.has(name)));
  const id = headers["x-request-id"];
  const origin = id === SENT_ID ? "sent" : /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id ?? "") ? "generated" : id;
  if ("requestId" in body) body.requestId = body.requestId === id ? "(the header's)" : body.requestId;
  return { status: res.status, body, headers: { ...headers, "x-request-id": origin } };
}

const running: RunningGateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  claimed.length = 0;
});

/** The Hono app and a served gateway, each on its own deps built alike. */
async function both(opts: Omit<MakeAppOptions, "appOptions"> = {}) {
  const hono = makeApp(opts);
  const served = makeDeps(opts);
  const gateway = await startGateway(served.deps, { port: 0, hostname: "127.0.0.1", statusWriter: false });
  running.push(gateway);
  const base = `http://127.0.0.1:${gateway.port}`;
  return { hono, served, base };
}

describe("webhook fast path", () => {
  it("answers every webhook POST exactly like the Hono route", async () => {
    const { hono, served, base } = await both();
    for (const [name, path, init] of cases) {
      const viaHono = await answerOf(await hono.app.request(path, init()));
      const viaServer = await answerOf(await fetch(`${base}${path}`, init()));
      expect({ name, ...viaServer }).toEqual({ name, ...viaHono });
    }
    expect(claimed).toEqual(cases.map(([, path]) => path));
    // Both appended the same events (redeliveries included: the bus drops them).
    expect(served.bus.calls.map((c) => c.opts?.dedupKeys)).toEqual(
      hono.bus.calls.map((c) => c.opts?.dedupKeys),
    );
    expect(served.bus.calls).toHaveLength(7);
    const fresh = await answerOf(await fetch(`${base}/webhook`, signed(text("wamid.P6"))));
    expect(fresh).toMatchObject({
      status: 200,
      body: { received: 1, duplicates: 0 },
      headers: {
        "content-type": "application/json",
        "content-security-policy": expect.stringContaining("default-src 'none'"),
        "x-content-type-options": "nosniff",
        "x-request-id": "generated",
      },
    });
  });

  it("answers 503 when the bus is down, and 500 (logged) on an unexpected error, like the route", async () => {
    const { hono, served, base } = await both();
    hono.bus.failNext = 1;
    served.bus.failNext = 1;
    const init = () => signed(text("wamid.DOWN"));
    const down = await answerOf(await fetch(`${base}/webhook`, init()));
    expect(down).toEqual(await answerOf(await hono.app.request("/webhook", init())));
    expect(down.status).toBe(503);

    // A broken integration service (a bug, not the client's fault): the generic 500, logged.
    const { log, lines } = captureLog();
    const working = makeDeps().integrations;
    const integrations: IntegrationService = {
      ...working,
      lookup: async () => ({ state: "enabled" }) as Awaited<ReturnType<IntegrationService["lookup"]>>,
    };
    const broken = await both({ log, integrations });
    const crash = () => signed(text("wamid.E"));
    const crashed = await answerOf(await fetch(`${broken.base}/webhook`, crash()));
    expect(crashed).toEqual(await answerOf(await broken.hono.app.request("/webhook", crash())));
    expect(crashed).toMatchObject({
      status: 500,
      body: { error: { code: "internal", message: "internal error" } },
    });
    const unhandled = lines.filter((l) => l.msg === "unhandled error");
    expect(unhandled).toHaveLength(2);
    expect(unhandled[0]).toMatchObject({ path: "/webhook", err: { type: "TypeError" } });
    expect(unhandled[1]).toMatchObject({ path: "/webhook", err: { type: "TypeError" } });
  });

  it("records the same metric sample and log line as the Hono route", async () => {
    const { log, lines } = captureLog();
    const { hono, served, base } = await both({ log });
    const init = () => withHeaders(signed(text("wamid.L1")), { "x-request-id": SENT_ID });
    expect((await hono.app.request("/webhook/whatsapp?x=1", init())).status).toBe(200);
    expect((await fetch(`${base}/webhook/whatsapp?x=1`, init())).status).toBe(200);
    expect(claimed).toEqual(["/webhook/whatsapp?x=1"]);
    for (const registry of [hono.registry, served.registry]) {
      expect(await registry.metrics()).toContain(
        'flank_http_requests_total{method="POST",route="/webhook/whatsapp",status="200"} 1',
      );
    }
    const requests = lines.filter((l) => l.msg === "request");
    expect(requests).toHaveLength(2);
    const [viaHono, viaServer] = requests.map(({ time: _t, durationMs, ...line }) => {
      expect(durationMs).toEqual(expect.any(Number));
      return line;
    });
    expect(viaServer).toEqual(viaHono);
    expect(viaServer).toMatchObject({
      requestId: SENT_ID,
      method: "POST",
      route: "/webhook/whatsapp",
      status: 200,
      events: 1,
      published: 1,
      duplicates: 0,
      unknownFields: 0,
    });

    // Refusals are recorded too, under their status.
    await fetch(`${base}/webhook`, signed(raw, "not-the-secret"));
    expect(await served.registry.metrics()).toContain(
      'flank_http_requests_total{method="POST",route="/webhook",status="403"} 1',
    );
    expect(lines.at(-1)).toMatchObject({ msg: "request", route: "/webhook", status: 403 });
  });

  it("survives clients that disconnect mid-body or before the answer, and serves the next request", async () => {
    const { served, base } = await both();
    const { port } = new URL(base);
    /** Sends the head and `body` over a raw socket, then hangs up at once. */
    const hangUp = (declared: number, body: string) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          const head = `POST /webhook/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n`;
          const signature = `x-hub-signature-256: ${(signed(body).headers as Record<string, string>)["x-hub-signature-256"]}`;
          socket.end(`${head}${signature}\r\n\r\n${body}`);
          socket.destroy();
        });
        socket.on("close", () => resolve());
        socket.on("error", reject);
      });
    await hangUp(1000, raw.slice(0, 100));
    const whole = JSON.stringify(text("wamid.GONE"));
    await hangUp(Buffer.byteLength(whole), whole);
    await waitFor(
      async () => {
        const metrics = await served.registry.metrics();
        return (
          metrics.includes('route="/webhook/whatsapp",status="400"} 1') &&
          metrics.includes('route="/webhook/whatsapp",status="200"} 1')
        );
      },
      { what: "both requests recorded" },
    );
    const next = await fetch(`${base}/webhook/whatsapp`, signed(text("wamid.AFTER")));
    expect(next.status).toBe(200);
  });

  it("leaves every other request to Hono: health, verification, other methods and paths, odd hosts", async () => {
    const { base } = await both();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    for (const path of WEBHOOK_PATHS) {
      const verify = await fetch(
        `${base}${path}?hub.mode=subscribe&hub.challenge=77&hub.verify_token=${VERIFY}`,
      );
      expect(verify.status).toBe(200);
      expect(await verify.text()).toBe("77");
    }
    expect(
      (await fetch(`${base}/webhook?hub.mode=subscribe&hub.challenge=1&hub.verify_token=no`)).status,
    ).toBe(403);
    expect((await fetch(`${base}/webhook`, { ...signed(raw), method: "PUT" })).status).toBe(404);
    expect((await fetch(`${base}/webhook/whatsapp/`, signed(raw))).status).toBe(404);
    // A Host @hono/node-server would check itself: it decides, and answers as the route does.
    const odd = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const init = signed(text("wamid.HOST"));
      const req = httpRequest(`${base}/webhook`, {
        method: "POST",
        headers: { ...(init.headers as Record<string, string>), host: `LOCALHOST:${new URL(base).port}` },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end(init.body as string);
    });
    expect(odd).toEqual({ status: 200, body: JSON.stringify({ received: 1, duplicates: 0 }) });
    expect(claimed).toEqual([]);
  });

  it("leaves a webhook path under a mounted sub-app to Hono", async () => {
    const gateway = await startGateway(makeDeps().deps, {
      port: 0,
      hostname: "127.0.0.1",
      statusWriter: false,
      mount: [{ path: "/webhook", app: new Hono().post("/whatsapp", (c) => c.text("mounted")) }],
    });
    running.push(gateway);
    const base = `http://127.0.0.1:${gateway.port}`;
    expect(await (await fetch(`${base}/webhook/whatsapp`, signed(raw))).text()).toBe("mounted");
    expect((await fetch(`${base}/api/v1/webhooks/whatsapp`, signed(raw))).status).toBe(200);
    expect(claimed).toEqual(["/api/v1/webhooks/whatsapp"]);
  });
});
