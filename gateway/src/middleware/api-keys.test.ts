import { describe, expect, it } from "vitest";
import { constantTimeEqual, keyFingerprint, requireApiKey } from "./api-keys.js";
import { baseApp, bearer } from "./test-support.js";

const SEND_KEY = "send-key-0123456789";
const ADMIN_KEY = "admin-key-0123456789";

function app() {
  const keys = { apiKeys: [SEND_KEY, "send-key-two-000000"], adminApiKeys: [ADMIN_KEY] };
  const a = baseApp();
  a.use("/v1/*", requireApiKey(keys, "api"));
  a.use("/api/v1/channels/*", requireApiKey(keys, "admin"));
  a.get("/v1/ping", (c) => c.json({ ok: true }));
  a.get("/api/v1/channels/whatsapp/integrations", (c) => c.json({ integrations: [] }));
  a.get("/healthz", (c) => c.text("ok"));
  return a;
}

type ErrorJson = { error: { code: string; message: string }; requestId: string };

describe("requireApiKey", () => {
  it("answers 401 with WWW-Authenticate when the key is missing or not a bearer token", async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: `Basic ${SEND_KEY}` },
      { authorization: "Bearer" },
    ];
    for (const headers of variants) {
      const res = await app().request("/v1/ping", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="flank"');
      const body = (await res.json()) as ErrorJson;
      expect(body.error.code).toBe("unauthorized");
      expect(body.requestId).toBeTruthy();
    }
  });

  it("answers 401 invalid_token for a key that is not configured, on either kind of route", async () => {
    for (const path of ["/v1/ping", "/api/v1/channels/whatsapp/integrations"]) {
      const res = await app().request(path, { headers: bearer("not-a-key-0123456789") });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });

  it("refuses a send key on the admin API with 403 insufficient_scope", async () => {
    const res = await app().request("/api/v1/channels/whatsapp/integrations", { headers: bearer(SEND_KEY) });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/ADMIN_API_KEYS/);
  });

  it("lets send keys use the send/read API, and admin keys both", async () => {
    expect((await app().request("/v1/ping", { headers: bearer(SEND_KEY) })).status).toBe(200);
    expect((await app().request("/v1/ping", { headers: bearer("send-key-two-000000") })).status).toBe(200);
    expect((await app().request("/v1/ping", { headers: bearer(ADMIN_KEY) })).status).toBe(200);
    const admin = await app().request("/api/v1/channels/whatsapp/integrations", {
      headers: bearer(ADMIN_KEY),
    });
    expect(admin.status).toBe(200);
    expect((await app().request("/healthz")).status).toBe(200);
  });

  it("accepts the scheme in any case and surrounding blanks", async () => {
    const res = await app().request("/v1/ping", { headers: { authorization: `bearer   ${SEND_KEY} ` } });
    expect(res.status).toBe(200);
  });

  it("refuses everything when no keys are configured", async () => {
    const a = baseApp();
    a.use("/v1/*", requireApiKey({ apiKeys: [], adminApiKeys: [] }, "api"));
    a.get("/v1/ping", (c) => c.json({ ok: true }));
    expect((await a.request("/v1/ping", { headers: bearer("") })).status).toBe(401);
    expect((await a.request("/v1/ping", { headers: bearer("anything-at-all") })).status).toBe(401);
  });
});

describe("constantTimeEqual", () => {
  it("compares by value, whatever the lengths", () => {
    expect(constantTimeEqual("same-secret", "same-secret")).toBe(true);
    expect(constantTimeEqual("same-secret", "same-secreT")).toBe(false);
    expect(constantTimeEqual("short", "a-much-longer-value-than-that")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });

  it("fingerprints keys without revealing them", () => {
    expect(keyFingerprint(SEND_KEY)).toMatch(/^[0-9a-f]{12}$/);
    expect(keyFingerprint(SEND_KEY)).not.toBe(keyFingerprint(ADMIN_KEY));
    expect(keyFingerprint(SEND_KEY)).not.toContain(SEND_KEY.slice(0, 6));
  });
});
