import { captureLog } from "@flank/devtools";
import { createMemoryStores } from "@flank/shared/store";
import { whatsappFixtures as fx } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { makeApp, signed } from "../test-harness.js";

describe("health", () => {
  it("/healthz answers while the process is up, /readyz when bus and stores answer", async () => {
    const { app } = makeApp();
    expect((await app.request("/healthz")).status).toBe(200);
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, failed: [] });
  });

  it("/readyz answers 503 naming only what failed; the why goes to the log, once per outage", async () => {
    const { log, lines } = captureLog();
    const stores = createMemoryStores();
    stores.health = async () => ({
      ok: false,
      backend: "mongo",
      detail: "connect ECONNREFUSED 10.1.2.3:27017",
    });
    const { app, inner } = makeApp({ stores, log });
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ ok: false, failed: ["stores"] });
    expect(text).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|mongo/);
    inner.health = async () => {
      throw new Error("redis down at 10.9.9.9");
    };
    for (let i = 0; i < 3; i++) {
      const both = await app.request("/readyz");
      expect(await both.json()).toEqual({ ok: false, failed: ["bus", "stores"] });
    }
    const warnings = lines.filter((l) => l.msg?.toString().endsWith("unavailable; retrying"));
    expect(warnings.map((l) => [l.part, l.detail])).toEqual([
      ["stores", "connect ECONNREFUSED 10.1.2.3:27017"],
      ["bus", "redis down at 10.9.9.9"],
    ]);
  });
});

describe("/metrics", () => {
  it("exposes request, webhook and publish metrics from the registry passed in", async () => {
    const { app, registry } = makeApp();
    await app.request("/webhook", signed(fx.inbound({ id: "wamid.M", type: "text", text: { body: "x" } })));
    await app.request("/webhook", signed(fx.inbound({ id: "wamid.M", type: "text", text: { body: "x" } })));
    await app.request("/nowhere");
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(registry.contentType);
    const text = await res.text();
    expect(text).toContain('flank_http_requests_total{method="POST",route="/webhook",status="200"} 2');
    expect(text).toContain('flank_http_requests_total{method="GET",route="(unmatched)",status="404"} 1');
    expect(text).toContain('flank_webhook_events_total{topic="inbound.message",type="text"} 2');
    expect(text).toContain("flank_webhook_duplicates_dropped_total 1");
    expect(text).toMatch(/flank_bus_publish_seconds_count\{outcome="ok"\} 2/);
    // Nothing leaks into prom-client's global registry.
    const { register } = await import("prom-client");
    expect(await register.metrics()).not.toContain("flank_");
  });
});

describe("/openapi.json and /docs", () => {
  it("documents every route with schemas generated from zod", async () => {
    const { app } = makeApp();
    const res = await app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/webhook/whatsapp",
      "/send",
      "/get",
      "/v1/messages",
      "/v1/messages/{id}",
      "/v1/conversations",
      "/v1/stream",
      "/v1/agents/conversations/{id}/take",
      "/api/v1/channels/whatsapp/integrations",
      "/api/v1/channels/whatsapp/integrations/{id}",
      "/api/v1/channels/whatsapp/embedded-signup",
      "/readyz",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const send = doc.paths["/send"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(send?.properties ?? {})).toEqual(expect.arrayContaining(["number", "text"]));
    const message = doc.paths["/v1/messages"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(JSON.stringify(message)).toContain("cta_url");
    expect(Object.keys(message?.properties ?? {})).not.toContain("source");
    const create = doc.paths["/api/v1/channels/whatsapp/integrations"]?.post as {
      security: object[];
      requestBody: { content: Record<string, { schema: { properties?: object } }> };
    };
    expect(create.security).toEqual([{ adminKey: [] }]);
    expect(Object.keys(create.requestBody.content["application/json"]?.schema.properties ?? {})).toEqual(
      expect.arrayContaining(["phone_number_id", "access_token", "template_fallback"]),
    );
  });
  // /docs itself: routes/openapi.test.ts.
});

describe("errors", () => {
  it("answers unknown routes with 404 and a request id, echoing X-Request-Id", async () => {
    const { app } = makeApp();
    const res = await app.request("/nowhere", { headers: { "x-request-id": "trace-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no route for GET /nowhere" },
      requestId: "trace-123",
    });
  });

  it("answers an unexpected failure with 500 and no internals", async () => {
    const stores = createMemoryStores();
    stores.messages.get = async () => {
      throw new Error("socket hang up at 10.0.0.7");
    };
    const { app } = makeApp({ stores });
    const res = await app.request("/v1/messages/x", {
      headers: { authorization: "Bearer key-one-0123456789" },
    });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string }; requestId: string };
    expect(body.error).toEqual({ code: "internal", message: "internal error" });
    expect(body.requestId).toMatch(/^[0-9A-Z]{26}$/);
  });
});
