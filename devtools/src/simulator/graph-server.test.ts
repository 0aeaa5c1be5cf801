import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GraphTestServer, startGraphServer } from "./graph-server.js";

let graph: GraphTestServer;
beforeAll(async () => {
  graph = await startGraphServer();
});
afterAll(() => graph.stop());
beforeEach(() => graph.reset());

const post = (path: string, body: unknown, token = "T") =>
  fetch(`${graph.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const text = (to: string) => ({ messaging_product: "whatsapp", to, type: "text", text: { body: "hi" } });

describe("Graph API test server", () => {
  it("answers a send like Meta and records path, headers and body", async () => {
    const res = await post("/v25.0/123/messages", text("+16505551234"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { contacts: unknown[]; messages: { id: string }[] };
    expect(body).toMatchObject({
      messaging_product: "whatsapp",
      contacts: [{ input: "+16505551234", wa_id: "16505551234" }],
    });
    expect(body.messages[0]?.id).toMatch(/^wamid\./);
    expect(graph.requests[0]).toMatchObject({
      method: "POST",
      path: "/v25.0/123/messages",
      headers: { authorization: "Bearer T" },
    });
    expect(graph.sent()).toEqual([text("+16505551234")]);
    expect(graph.base).toBe(`${graph.url}/v25.0`);
  });

  it("answers read receipts and typing indicators with success", async () => {
    const res = await post("/v25.0/123/messages", {
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.X",
      typing_indicator: { type: "text" },
    });
    expect(await res.json()).toEqual({ success: true });
  });

  it("serves media metadata and a Meta error for unknown media", async () => {
    graph.addMedia("M1", { mime_type: "image/png" });
    const ok = await fetch(`${graph.url}/v25.0/M1`);
    expect(await ok.json()).toMatchObject({
      id: "M1",
      mime_type: "image/png",
      messaging_product: "whatsapp",
    });
    const missing = await fetch(`${graph.url}/v25.0/M2`);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 100, type: "OAuthException" } });
  });

  it("plays scripted errors in order, then succeeds", async () => {
    graph.script({ kind: "error", code: 130429 }, { kind: "raw", status: 502 });
    const first = await post("/v25.0/123/messages", text("1"));
    expect(first.status).toBe(429);
    expect(await first.json()).toMatchObject({
      error: {
        code: 130429,
        type: "OAuthException",
        error_data: {
          messaging_product: "whatsapp",
          details: "Cloud API message throughput has been reached.",
        },
        fbtrace_id: expect.any(String),
      },
    });
    expect((await post("/v25.0/123/messages", text("1"))).status).toBe(502);
    expect((await post("/v25.0/123/messages", text("1"))).status).toBe(200);
  });

  it("scripts per recipient without touching others", async () => {
    graph.scriptFor("+222", { kind: "error", code: 131056 });
    expect((await post("/v25.0/123/messages", text("+111"))).status).toBe(200);
    const limited = await post("/v25.0/123/messages", text("222"));
    expect(((await limited.json()) as { error: { code: number } }).error.code).toBe(131056);
    expect((await post("/v25.0/123/messages", text("222"))).status).toBe(200);
  });

  it("delays and hangs", async () => {
    graph.script({ kind: "delay", ms: 50 }, { kind: "hang" });
    const started = Date.now();
    expect((await post("/v25.0/123/messages", text("1"))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await expect(
      fetch(`${graph.url}/v25.0/123/messages`, {
        method: "POST",
        body: JSON.stringify(text("1")),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
  });

  it("rejects a wrong token with code 190 when a token is required", async () => {
    graph.requireToken("GOOD");
    const bad = await post("/v25.0/123/messages", text("1"), "BAD");
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 190 } });
    expect((await post("/v25.0/123/messages", text("1"), "GOOD")).status).toBe(200);
    graph.requireToken(undefined);
  });
});
