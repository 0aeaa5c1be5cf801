import { describe, expect, it } from "vitest";
import { requireApiKey } from "./api-keys.js";
import { corsFor, securityHeaders } from "./security.js";
import { baseApp, bearer } from "./test-support.js";

function app(opts: { production?: boolean; origins?: string[] } = {}) {
  const a = baseApp();
  a.use(securityHeaders({ production: opts.production ?? false, appPaths: ["/docs"] }));
  a.use(corsFor(opts.origins ?? []));
  a.use("/v1/*", requireApiKey({ apiKeys: ["send-key-0123456789"], adminApiKeys: [] }, "api"));
  a.get("/v1/ping", (c) => c.json({ ok: true }));
  a.get("/docs", (c) => c.html("<style>b{}</style><b>docs</b>"));
  return a;
}

describe("security headers", () => {
  it("are on API answers, errors included, with a CSP that allows nothing", async () => {
    for (const res of [
      await app().request("/v1/ping", { headers: bearer("send-key-0123456789") }),
      await app().request("/v1/ping"),
      await app().request("/nowhere"),
    ]) {
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe");
      expect(res.headers.get("strict-transport-security")).toBeNull();
    }
  });

  it("let pages (the docs viewer) load scripts and styles from this origin, and nothing else", async () => {
    const csp = (await app().request("/docs")).headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe");
  });

  it("add HSTS in production", async () => {
    const res = await app({ production: true }).request("/v1/ping");
    expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });
});

describe("CORS", () => {
  const preflight = (origin: string) => ({
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });

  it("is off without CORS_ORIGINS: no CORS headers, and a preflight is not answered as allowed", async () => {
    const res = await app().request("/v1/ping", { headers: { origin: "https://app.example.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await app().request("/v1/ping", preflight("https://app.example.com"));
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("allows the configured origins only, answering preflights before the API-key check", async () => {
    const a = app({ origins: ["https://app.example.com"] });
    const pre = await a.request("/v1/ping", preflight("https://app.example.com"));
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const call = await a.request("/v1/ping", {
      headers: { origin: "https://app.example.com", ...bearer("send-key-0123456789") },
    });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const stranger = await a.request("/v1/ping", preflight("https://evil.example.net"));
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it('allows any origin with "*"', async () => {
    const res = await app({ origins: ["*"] }).request("/v1/ping", preflight("https://anywhere.example.org"));
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
