import { randomBytes } from "node:crypto";
import { createKeyring } from "@flank/shared/crypto";
import { createIntegrationService } from "@flank/shared/integrations";
import { createMemoryStores } from "@flank/shared/store";
import { describe, expect, it } from "vitest";
import { requireApiKey } from "../middleware/api-keys.js";
import { baseApp, bearer, silent } from "../middleware/test-support.js";
import { integrationRoutes } from "./integrations.js";

const ADMIN = "admin-key-0123456789";
const SEND = "send-key-0123456789";
const BASE = "/api/v1/channels/whatsapp/integrations";
const TOKEN = "EAABsbCS1iHgBAtokenSECRETwxyz";
const APP_SECRET = "per-app-secret-0000abcd";

function setup() {
  const stores = createMemoryStores();
  const service = createIntegrationService({
    store: stores.integrations,
    keyring: createKeyring({ current: randomBytes(32).toString("hex") }),
    log: silent,
  });
  const app = baseApp();
  // As app.ts will mount it ("/x/*" also matches "/x").
  app.use(`${BASE}/*`, requireApiKey({ apiKeys: [SEND], adminApiKeys: [ADMIN] }, "admin"));
  app.route(BASE, integrationRoutes({ service }));
  const call = (method: string, path: string, body?: unknown, key = ADMIN) =>
    app.request(`${BASE}${path}`, {
      method,
      headers: { "content-type": "application/json", ...bearer(key) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, call, stores };
}

const createBody = (extra: Record<string, unknown> = {}) => ({
  organization_id: "org-1",
  agent_flow_id: "sales",
  phone_number: "+15551234567",
  phone_number_id: "106540352242922",
  waba_id: "102290129340398",
  access_token: TOKEN,
  verify_token: "tenant-a-verify-token",
  app_secret: APP_SECRET,
  template_fallback: { name: "hello_world", language: "en_US" },
  ...extra,
});

type Json = Record<string, unknown>;
type ErrorJson = { error: { code: string; message: string; details?: unknown } };

/** No answer may ever contain a secret in clear. */
function expectMasked(text: string, ...secrets: string[]) {
  for (const s of secrets) expect(text).not.toContain(s);
}

describe("integrations API", () => {
  it.each([
    ["+1-555-555-5555", "15555555555"],
    ["+1 (555) 555 5555", "15555555555"],
    ["+44 20 7946 0958", "442079460958"],
    ["15551234567", "15551234567"],
  ])("accepts phone_number written as %s and stores it as digits (%s)", async (written, digits) => {
    const { call, stores } = setup();
    const created = await call("POST", "", createBody({ phone_number: written }));
    expect(created.status).toBe(201);
    const body = (await created.json()) as Json;
    expect(body.phone_number).toBe(digits);
    expect((await stores.integrations.get(String(body.id)))?.phoneNumber).toBe(digits);
    const updated = await call("PATCH", `/${String(body.id)}`, { phone_number: "+1-555-555-0000" });
    expect(((await updated.json()) as Json).phone_number).toBe("15555550000");
  });

  it("still refuses what is not a phone number, naming the field", async () => {
    const { call } = setup();
    for (const bad of ["+1-555", "call me", "+0 555 555 5555"]) {
      const res = await call("POST", "", createBody({ phone_number: bad }));
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("phone_number");
    }
  });

  it("creates, lists, gets and updates with secrets masked in every answer", async () => {
    const { call } = setup();
    const created = await call("POST", "", createBody());
    expect(created.status).toBe(201);
    const createdText = await created.text();
    expectMasked(createdText, TOKEN, APP_SECRET);
    const body = JSON.parse(createdText) as Json;
    expect(body).toMatchObject({
      organization_id: "org-1",
      agent_flow_id: "sales",
      phone_number_id: "106540352242922",
      access_token: "****wxyz",
      app_secret: "****abcd",
      verify_token: "tenant-a-verify-token",
      template_fallback: { name: "hello_world", language: "en_US" },
      enabled: true,
    });
    const id = String(body.id);

    const list = await call("GET", "");
    const listText = await list.text();
    expectMasked(listText, TOKEN, APP_SECRET);
    const listed = JSON.parse(listText) as { count: number; integrations: Json[] };
    expect(listed.count).toBe(1);
    expect(listed.integrations[0]).toMatchObject({ id, access_token: "****wxyz", app_secret: "****abcd" });

    const got = await call("GET", `/${id}`);
    const gotText = await got.text();
    expectMasked(gotText, TOKEN, APP_SECRET);
    expect(JSON.parse(gotText)).toMatchObject({ id, access_token: "****wxyz" });

    const newToken = "EAABreplacementTOKEN9876";
    for (const method of ["PUT", "PATCH"]) {
      const updated = await call(method, `/${id}`, { access_token: newToken, enabled: method === "PATCH" });
      expect(updated.status).toBe(200);
      const text = await updated.text();
      expectMasked(text, newToken, TOKEN, APP_SECRET);
      expect(JSON.parse(text)).toMatchObject({
        id,
        access_token: "****9876",
        app_secret: "****abcd",
        enabled: method === "PATCH",
        agent_flow_id: "sales",
      });
    }
  });

  it("stores the secrets encrypted", async () => {
    const { call, stores } = setup();
    const id = String(((await (await call("POST", "", createBody())).json()) as Json).id);
    const row = await stores.integrations.get(id);
    expect(row?.accessToken).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(JSON.stringify(row)).not.toContain(TOKEN);
  });

  it("answers 400 naming each bad field, in snake_case", async () => {
    const { call } = setup();
    const res = await call(
      "POST",
      "",
      createBody({ phone_number_id: "abc", access_token: "", extra_field: 1 }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain("phone_number_id");
    expect(body.error.message).toContain("access_token");
    expect(body.error.message).toContain("extra_field");
    const missing = (await (
      await call("POST", "", { phone_number_id: "106540352242922" })
    ).json()) as ErrorJson;
    expect(missing.error.message).toContain("access_token");
    const badJson = await call("POST", "", "{not json");
    expect(badJson.status).toBe(400);
    const empty = await call("PATCH", "/anything", {});
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorJson).error.message).toMatch(/at least one field/);
    const badTemplate = await call("POST", "", createBody({ template_fallback: { name: "hello_world" } }));
    expect(((await badTemplate.json()) as ErrorJson).error.message).toContain("template_fallback.language");
  });

  it("answers 409 naming the duplicate field, on create and update", async () => {
    const { call } = setup();
    await call("POST", "", createBody());
    const samePhone = await call("POST", "", createBody({ verify_token: "another-verify-token" }));
    expect(samePhone.status).toBe(409);
    const body = (await samePhone.json()) as ErrorJson;
    expect(body.error).toMatchObject({ code: "conflict", details: { field: "phone_number_id" } });
    expect(body.error.message).toContain("phone_number_id");

    const other = (await (
      await call(
        "POST",
        "",
        createBody({ phone_number_id: "200000000000001", verify_token: "tenant-b-verify" }),
      )
    ).json()) as Json;
    const clash = await call("PATCH", `/${String(other.id)}`, { verify_token: "tenant-a-verify-token" });
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as ErrorJson).error.message).toContain("verify_token");
  });

  it("answers 404 for unknown ids, and deletes", async () => {
    const { call } = setup();
    expect((await call("GET", "/nope")).status).toBe(404);
    expect((await call("PUT", "/nope", { enabled: false })).status).toBe(404);
    expect((await call("DELETE", "/nope")).status).toBe(404);
    const id = String(((await (await call("POST", "", createBody())).json()) as Json).id);
    expect((await call("DELETE", `/${id}`)).status).toBe(204);
    expect((await call("GET", `/${id}`)).status).toBe(404);
  });

  it("needs an admin key: none → 401, a send key → 403", async () => {
    const { app, call } = setup();
    const none = await app.request(BASE);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await app.request(`${BASE}/x`)).status).toBe(401);
    expect((await call("GET", "", undefined, SEND)).status).toBe(403);
    expect((await call("POST", "", createBody(), SEND)).status).toBe(403);
    expect((await call("GET", "", undefined, "wrong-key-0123456789")).status).toBe(401);
  });
});
