import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createKeyring } from "@flank/shared/crypto";
import { createIntegrationService } from "@flank/shared/integrations";
import { createMemoryStores } from "@flank/shared/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseApp, silent } from "../middleware/test-support.js";
import { embeddedSignupRoutes } from "./embedded-signup.js";

const APP_ID = "1234567890";
const APP_SECRET = "fb-app-secret-abcdef";
const GOOD_CODE = "AQD-good-code";
const NEW_TOKEN = "EAAGbusinessTOKENfromSignup4242";
const WABA = "102290129340398";
const PNID = "106540352242922";

/**
 * The two Graph endpoints of Embedded Signup, speaking Meta's wire format. Records what it was
 * asked so the test can check the exact calls (to move into devtools/src/simulator later).
 */
function graphServer() {
  const seen: { method: string; path: string; query: URLSearchParams; auth?: string }[] = [];
  const error = (code: number, message: string, type = "OAuthException") => ({
    error: { message, type, code, fbtrace_id: "AbCdEf123" },
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://graph.test");
    seen.push({
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      auth: req.headers.authorization,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/v25.0/oauth/access_token") {
      const q = url.searchParams;
      if (q.get("client_id") !== APP_ID || q.get("client_secret") !== APP_SECRET) {
        return send(400, error(1, "Error validating client secret."));
      }
      if (q.get("code") !== GOOD_CODE) return send(400, error(100, "Invalid verification code format."));
      return send(200, { access_token: NEW_TOKEN, token_type: "bearer" });
    }
    const sub = /^\/v25\.0\/(\d+)\/subscribed_apps$/.exec(url.pathname);
    if (req.method === "POST" && sub) {
      if (req.headers.authorization !== `Bearer ${NEW_TOKEN}`)
        return send(401, error(190, "Invalid OAuth access token."));
      if (sub[1] !== WABA) return send(403, error(200, "(#200) Permissions error"));
      return send(200, { success: true });
    }
    send(404, error(803, "Unknown path"));
  });
  return { server, seen };
}

describe("embedded signup", () => {
  const graph = graphServer();
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => graph.server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(graph.server.address() as AddressInfo).port}/v25.0`;
  });
  afterAll(() => new Promise<void>((resolve) => graph.server.close(() => resolve())));

  function setup(opts: { appId?: string; appSecret?: string } = { appId: APP_ID, appSecret: APP_SECRET }) {
    const stores = createMemoryStores();
    const service = createIntegrationService({
      store: stores.integrations,
      keyring: createKeyring({ current: randomBytes(32).toString("hex") }),
      log: silent,
    });
    const app = baseApp();
    app.route(
      "/api/v1/channels/whatsapp/embedded-signup",
      embeddedSignupRoutes({ service, graph: { graphApiBase: base, ...opts }, log: silent, timeoutMs: 2000 }),
    );
    const post = (body: unknown) =>
      app.request("/api/v1/channels/whatsapp/embedded-signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    return { post, service, stores };
  }

  const body = (extra: Record<string, unknown> = {}) => ({
    code: GOOD_CODE,
    waba_id: WABA,
    phone_number_id: PNID,
    agent_flow_id: "sales",
    ...extra,
  });

  it("exchanges the code, subscribes the app and creates the integration", async () => {
    const { post, service, stores } = setup();
    graph.seen.length = 0;
    const res = await post(body());
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(NEW_TOKEN);
    expect(text).not.toContain(APP_SECRET);
    const created = JSON.parse(text) as Record<string, unknown>;
    expect(created).toMatchObject({
      phone_number_id: PNID,
      waba_id: WABA,
      agent_flow_id: "sales",
      access_token: "****4242",
      enabled: true,
    });
    expect(String(created.verify_token)).toMatch(/^[A-Za-z0-9_-]{32}$/);

    expect(graph.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "GET /v25.0/oauth/access_token",
      `POST /v25.0/${WABA}/subscribed_apps`,
    ]);
    expect(graph.seen[1]?.auth).toBe(`Bearer ${NEW_TOKEN}`);

    const resolved = await service.resolve(PNID);
    expect(resolved?.integration.accessToken).toBe(NEW_TOKEN);
    expect((await stores.integrations.getByPhoneNumberId(PNID))?.accessToken).toMatch(/^v2:/);
  });

  it("answers 502 with Meta's error when the code is refused, and creates nothing", async () => {
    const { post, stores } = setup();
    const res = await post(body({ code: "AQD-expired" }));
    expect(res.status).toBe(502);
    const err = (await res.json()) as {
      error: { code: string; message: string; details: Record<string, unknown> };
    };
    expect(err.error.code).toBe("graph_error");
    expect(err.error.message).toContain("Invalid verification code format.");
    expect(err.error.details).toMatchObject({ step: "exchange_code", status: 400, error: { code: 100 } });
    expect(JSON.stringify(err)).not.toContain(APP_SECRET);
    expect(await stores.integrations.list()).toEqual([]);
  });

  it("answers 502 when the subscription is refused", async () => {
    const { post, stores } = setup();
    const res = await post(body({ waba_id: "999999999" }));
    expect(res.status).toBe(502);
    const err = (await res.json()) as { error: { details: Record<string, unknown> } };
    expect(err.error.details).toMatchObject({ step: "subscribe_app", status: 403, error: { code: 200 } });
    expect(await stores.integrations.list()).toEqual([]);
  });

  it("answers 502 when the Graph API cannot be reached", async () => {
    const stores = createMemoryStores();
    const service = createIntegrationService({
      store: stores.integrations,
      keyring: createKeyring({}),
      log: silent,
    });
    const app = baseApp();
    app.route(
      "/s",
      embeddedSignupRoutes({
        service,
        graph: { graphApiBase: "http://127.0.0.1:1/v25.0", appId: APP_ID, appSecret: APP_SECRET },
        log: silent,
      }),
    );
    const res = await app.request("/s", { method: "POST", body: JSON.stringify(body()) });
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/could not be reached/);
  });

  it("answers 503 naming FB_APP_ID and FB_APP_SECRET when they are not configured", async () => {
    const res = await setup({}).post(body());
    expect(res.status).toBe(503);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe("not_configured");
    expect(err.error.message).toContain("FB_APP_ID");
    expect(err.error.message).toContain("FB_APP_SECRET");
    const onlyId = (await (await setup({ appId: APP_ID }).post(body())).json()) as {
      error: { message: string };
    };
    expect(onlyId.error.message).not.toContain("FB_APP_ID");
  });

  it("answers 400 naming bad fields before calling Meta, and 409 for a number already integrated", async () => {
    const { post } = setup();
    graph.seen.length = 0;
    const bad = await post({ code: "", waba_id: "12/../x", phone_number_id: PNID });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain("code");
    expect(text).toContain("waba_id");
    expect(graph.seen).toEqual([]);
    expect((await post(body())).status).toBe(201);
    const again = await post(body());
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("phone_number_id");
  });
});
