import { Writable } from "node:stream";
import { createLogger } from "@flank/shared/log";
import { whatsappFixtures as fx, waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { INTEGRATIONS_PATH } from "./routes/integrations.js";
import {
  ADMIN,
  ADMIN_KEY,
  API_KEY,
  AUTH,
  collect,
  ENCRYPTION_KEY,
  jsonPost,
  makeApp,
  SECRET,
  signed,
} from "./test-harness.js";

// Secrets at rest and in flight (issue 7 §2): no answer, event or log line holds one in clear.
const PNID = "2000001";
const TOKEN = "EAAGtenantACCESStoken0001wxyz";
const TOKEN_2 = "EAAGrotatedACCESStoken0002abcd";
const APP_SECRET = "tenant-app-secret-0001-qrst";
const VERIFY_TOKEN = "tenant-verify-token-0001";

/** A logger writing JSON lines into an array, with no secret scrubbing: nothing may need it. */
function capturedLogger() {
  const lines: string[] = [];
  const log = createLogger({
    level: "debug",
    name: "gateway",
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  return { log, lines };
}

const admin = (method: string, path = "", body?: unknown): RequestInit & { path: string } => ({
  path: `${INTEGRATIONS_PATH}${path}`,
  method,
  headers: { "content-type": "application/json", ...ADMIN },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

const createBody = {
  phone_number_id: PNID,
  access_token: TOKEN,
  app_secret: APP_SECRET,
  verify_token: VERIFY_TOKEN,
  template_fallback: { name: "hello_world", language: "en_US" },
};

describe("secrets never leave in clear", () => {
  it("every integrations answer masks access_token and app_secret; the store holds ciphertext", async () => {
    const { app, stores } = makeApp();
    const call = async ({ path, ...init }: RequestInit & { path: string }) => app.request(path, init);
    const created = await call(admin("POST", "", createBody));
    expect(created.status).toBe(201);
    const wire = JSON.parse(await created.clone().text()) as {
      id: string;
      access_token: string;
      app_secret: string;
    };
    expect(wire).toMatchObject({
      access_token: "****wxyz",
      app_secret: "****qrst",
      verify_token: VERIFY_TOKEN,
    });
    const answers = [
      created,
      await call(admin("GET")),
      await call(admin("GET", `/${wire.id}`)),
      await call(admin("PUT", `/${wire.id}`, { access_token: TOKEN_2 })),
      await call(admin("PATCH", `/${wire.id}`, { enabled: true })),
      await call(admin("POST", "", createBody)), // 409: the number is taken
      await call(admin("POST", "", { ...createBody, phone_number_id: "x" })), // 400
    ];
    expect(answers.map((r) => r.status)).toEqual([201, 200, 200, 200, 200, 409, 400]);
    for (const res of answers) {
      const text = await res.text();
      for (const secret of [TOKEN, TOKEN_2, APP_SECRET]) expect(text).not.toContain(secret);
    }
    const row = await stores.integrations.get(wire.id);
    expect(row?.accessToken).toMatch(/^v2:/);
    expect(row?.appSecret).toMatch(/^v2:/);
    expect(JSON.stringify(row)).not.toContain(TOKEN_2);
    expect(JSON.stringify(row)).not.toContain(APP_SECRET);
  });

  it("logs and events across integration create, webhook and send hold no secret", async () => {
    const { log, lines } = capturedLogger();
    const { app, bus } = makeApp({ log });
    const tap = await collect(bus);
    const { path, ...init } = admin("POST", "", createBody);
    expect((await app.request(path, init)).status).toBe(201);

    const verify = await app.request(
      `/webhook?hub.mode=subscribe&hub.challenge=5&hub.verify_token=${VERIFY_TOKEN}`,
    );
    expect(verify.status).toBe(200);
    const inbound = fx.envelope({
      metadata: { display_phone_number: fx.DISPLAY_NUMBER, phone_number_id: PNID },
      contacts: [fx.contact()],
      messages: [
        { from: fx.WA_ID, id: "wamid.S1", timestamp: fx.TIMESTAMP, type: "text", text: { body: "hi" } },
      ],
    });
    expect((await app.request("/webhook", signed(inbound, APP_SECRET))).status).toBe(200);
    expect((await app.request("/webhook", signed(inbound, "a-wrong-secret"))).status).toBe(403);
    const sent = await app.request(
      "/v1/messages",
      jsonPost({ to: `+${fx.WA_ID}`, phoneNumberId: PNID, message: { type: "text", body: "hello" } }),
    );
    expect(sent.status).toBe(202);
    expect((await app.request("/v1/conversations", { headers: AUTH })).status).toBe(200);
    await waitFor(() => tap.events.length >= 2, { what: "inbound and outbound events" });

    const events = JSON.stringify(tap.events);
    expect(tap.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["inbound.message", "outbound.request"]),
    );
    const logs = lines.join("");
    // The log lines are there (so the check below can fail) and name things by id only.
    expect(logs).toContain("integration created");
    expect(logs).toMatch(/"route":"\/webhook"/);
    expect(logs).toMatch(/"apiKeyId":"[0-9a-f]{12}","keyKind":"admin"[^\n]*"integrationId"/);
    for (const secret of [TOKEN, APP_SECRET, VERIFY_TOKEN, SECRET, API_KEY, ADMIN_KEY, ENCRYPTION_KEY]) {
      expect(logs).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
  });
});
