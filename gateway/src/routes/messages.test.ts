import { createEvent, type FlankEvent, type OutboundResultData } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { AUTH, collect, jsonPost, makeApp, PNID } from "../test-harness.js";

type App = ReturnType<typeof makeApp>;

/** Stands in for the responder: answers each outbound.request with the given result. */
async function fakeSender(t: App, answer: (req: FlankEvent) => Partial<OutboundResultData>[]) {
  return t.inner.consume({
    topic: "outbound.request",
    group: "fake-sender",
    handler: async (req) => {
      if (req.type !== "outbound.request") return;
      for (const part of answer(req)) {
        await t.inner.publish(
          createEvent({
            type: "outbound.result",
            tenant: req.tenant,
            conversationId: req.conversationId,
            data: {
              idempotencyKey: req.data.idempotencyKey,
              status: "sent",
              attempts: 1,
              final: true,
              ...part,
            },
          }),
        );
      }
    },
  });
}

const META_OK = {
  messaging_product: "whatsapp",
  contacts: [{ input: "+16505551234", wa_id: "16505551234" }],
  messages: [{ id: "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA" }],
};

describe("POST /send", () => {
  it("publishes an outbound.request and returns Meta's response", async () => {
    const t = makeApp();
    const tap = await collect(t.bus);
    const sender = await fakeSender(t, () => [{ wamid: "wamid.OK", response: META_OK }]);
    try {
      const res = await t.app.request("/send", jsonPost({ number: "+16505551234", text: "Hi there" }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(META_OK);
      const req = tap.events.find((e) => e.type === "outbound.request");
      expect(req).toMatchObject({
        tenant: PNID,
        conversationId: `${PNID}:16505551234`,
        data: { to: "+16505551234", source: "api", message: { type: "text", body: "Hi there" } },
      });
      expect((req?.data as { idempotencyKey?: string } | undefined)?.idempotencyKey).toMatch(
        /^[0-9A-Z]{26}$/,
      );
    } finally {
      await sender.close();
    }
  });

  it("accepts a number without + and uses the Idempotency-Key header", async () => {
    const t = makeApp();
    const tap = await collect(t.bus);
    const sender = await fakeSender(t, () => [{ wamid: "wamid.OK", response: META_OK }]);
    try {
      const res = await t.app.request(
        "/send",
        jsonPost({ number: "16505551234", text: "x" }, { "Idempotency-Key": "order-42" }),
      );
      expect(res.status).toBe(200);
      const req = tap.events.find((e) => e.type === "outbound.request");
      expect(req?.data).toMatchObject({ idempotencyKey: "order-42", to: "+16505551234" });
    } finally {
      await sender.close();
    }
  });

  it("answers 502 with the Meta error once the send finally fails, ignoring non-final failures", async () => {
    const t = makeApp({ env: { SEND_WAIT_MS: "3000" } });
    const error = { code: 131026, title: "Message undeliverable", message: "Message undeliverable" };
    const sender = await fakeSender(t, () => [
      { status: "failed", final: false, error: { code: 130429, title: "Rate limit hit" } },
      { status: "failed", final: true, error },
    ]);
    try {
      const res = await t.app.request("/send", jsonPost({ number: "+16505551234", text: "x" }));
      expect(res.status).toBe(502);
      const body = (await res.json()) as {
        error: { code: string; message: string; details: unknown };
        id: string;
      };
      expect(body.error).toMatchObject({ code: "send_failed", details: error });
      expect(body.error.message).toContain("131026");
      expect(body.id).toBeTruthy();
    } finally {
      await sender.close();
    }
  });

  it("answers 202 queued when no result comes within SEND_WAIT_MS, and the message reads as queued", async () => {
    const t = makeApp({ env: { SEND_WAIT_MS: "50" } });
    const res = await t.app.request("/send", jsonPost({ number: "+16505551234", text: "anyone?" }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string };
    expect(body.status).toBe("queued");
    const status = await t.app.request(`/v1/messages/${body.id}`, { headers: AUTH });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      id: body.id,
      status: "queued",
      direction: "outbound",
      body: "anyone?",
    });
  });

  it.each([
    [{ text: "x" }, "number"],
    [{ number: "+16505551234" }, "text"],
    [{ number: "call me", text: "x" }, "number"],
    [{ number: "+16505551234", text: "" }, "text"],
  ])("answers 400 naming the bad field for %j", async (input, field) => {
    const t = makeApp();
    const res = await t.app.request("/send", jsonPost(input));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path)).toContain(field);
    expect(t.bus.calls).toHaveLength(0);
  });

  it("answers 400 for a body that is not JSON, and 503 when the bus is down", async () => {
    const t = makeApp();
    const bad = await t.app.request("/send", { method: "POST", body: "number=1", headers: AUTH });
    expect(bad.status).toBe(400);
    t.bus.failNext = 1;
    const down = await t.app.request("/send", jsonPost({ number: "+16505551234", text: "x" }));
    expect(down.status).toBe(503);
  });

  it("answers 400 when no sending number is configured or given", async () => {
    const t = makeApp({ env: { PHONE_NUMBER_ID: "" } });
    const res = await t.app.request("/send", jsonPost({ number: "+16505551234", text: "x" }));
    expect(res.status).toBe(400);
    const given = await t.app.request(
      "/v1/messages",
      jsonPost({ to: "1555", phoneNumberId: "777", message: { type: "text", body: "x" } }),
    );
    expect(given.status).toBe(202);
  });
});

describe("POST /v1/messages and GET /v1/messages/:id", () => {
  it("queues any outbound type and reports its status", async () => {
    const t = makeApp();
    const tap = await collect(t.bus);
    const message = {
      type: "buttons",
      body: "Pick one",
      buttons: [
        { id: "yes", title: "Yes" },
        { id: "no", title: "No" },
      ],
    };
    const res = await t.app.request(
      "/v1/messages",
      jsonPost({ to: "+16505551234", message, replyTo: "wamid.Q" }),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => tap.events.length === 1);
    expect(tap.events[0]).toMatchObject({
      type: "outbound.request",
      data: { idempotencyKey: id, source: "api", message, replyTo: "wamid.Q" },
    });
    // The sender later records Meta's wamid and the status webhooks arrive.
    await t.stores.messages.setWamid(id, "wamid.SENT");
    await t.stores.messages.addStatus("wamid.SENT", {
      status: "delivered",
      timestamp: new Date().toISOString(),
    });
    const got = await t.app.request(`/v1/messages/${id}`, { headers: AUTH });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id, wamid: "wamid.SENT", status: "delivered", type: "buttons" });
  });

  it("sends to a BSUID recipient", async () => {
    const t = makeApp();
    const res = await t.app.request(
      "/v1/messages",
      jsonPost({ recipient: "US.13491208655302741918", message: { type: "text", body: "hi" } }),
    );
    expect(res.status).toBe(202);
    expect(t.bus.calls[0]?.events[0]?.conversationId).toBe(`${PNID}:US.13491208655302741918`);
  });

  it("sends to a group with the group recipient form, in the group's conversation", async () => {
    const t = makeApp();
    const res = await t.app.request(
      "/v1/messages",
      jsonPost({ to: "Y2FwaV9ncm91cDox", recipientType: "group", message: { type: "text", body: "hi all" } }),
    );
    expect(res.status).toBe(202);
    const sent = t.bus.calls[0]?.events[0];
    expect(sent?.conversationId).toBe(`${PNID}:Y2FwaV9ncm91cDox`);
    expect(sent?.data).toMatchObject({ to: "Y2FwaV9ncm91cDox", recipientType: "group" });
  });

  it("a send to a person's new number or BSUID goes to the conversation they were first seen in", async () => {
    const t = makeApp();
    await t.stores.users.upsert({
      tenant: PNID,
      waId: "16505550000",
      userId: "US.7",
      conversationId: `${PNID}:16505550000`,
    });
    await t.stores.users.changeIds(PNID, { waId: "16505550000" }, { waId: "12195550000" });
    for (const body of [{ to: "+1 219 555 0000" }, { recipient: "US.7" }]) {
      await t.app.request("/v1/messages", jsonPost({ ...body, message: { type: "text", body: "hi" } }));
    }
    expect(t.bus.calls.map((c) => c.events[0]?.conversationId)).toEqual([
      `${PNID}:16505550000`,
      `${PNID}:16505550000`,
    ]);
  });

  it.each([
    [{ message: { type: "text", body: "x" } }, "to"],
    [{ to: "+1555", message: { type: "carrier-pigeon" } }, "message.type"],
    [{ to: "+1555", message: { type: "text", body: "x".repeat(4097) } }, "message.body"],
    [{ to: "+1555", message: { type: "image" } }, "message"],
  ])("answers 400 naming the fields for %j", async (input, field) => {
    const t = makeApp();
    const res = await t.app.request("/v1/messages", jsonPost(input));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path)).toContain(field);
    expect(body.error.message).toContain(field);
  });

  it("answers 400 for a bad Idempotency-Key and 404 for an unknown id", async () => {
    const t = makeApp();
    const bad = await t.app.request(
      "/v1/messages",
      jsonPost({ to: "+1555", message: { type: "text", body: "x" } }, { "Idempotency-Key": "x".repeat(201) }),
    );
    expect(bad.status).toBe(400);
    const missing = await t.app.request("/v1/messages/nope", { headers: AUTH });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});

describe("API key", () => {
  it.each([
    ["POST", "/send"],
    ["POST", "/v1/messages"],
    ["GET", "/v1/messages/x"],
    ["POST", "/get"],
    ["GET", "/v1/conversations"],
    ["GET", "/v1/conversations/x/messages"],
    ["GET", "/v1/stream"],
  ])(
    "%s %s answers 401 without a key, with a wrong key, and with no keys configured",
    async (method, path) => {
      const t = makeApp();
      const attempts: Record<string, string>[] = [
        {},
        { authorization: "Bearer wrong-key-0123456789" },
        { authorization: "Basic abc" },
      ];
      for (const headers of attempts) {
        const res = await t.app.request(path, { method, headers });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      }
      const open = makeApp({ env: { API_KEYS: "" } });
      expect((await open.app.request(path, { method, headers: AUTH })).status).toBe(401);
    },
  );

  it("accepts every configured key", async () => {
    const t = makeApp();
    for (const key of ["key-one-0123456789", "key-two-0123456789"]) {
      const res = await t.app.request("/v1/messages/none", { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(404);
    }
  });
});
