import { inboundTextWebhook, postWebhook } from "@flank/devtools";
import { createEvent, type FlankEvent, topicChannel } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedLogger } from "./commands/start.js";
import { type Embedded, startEmbedded } from "./embedded.js";
import { LOCAL_PHONE_NUMBER_ID } from "./local-config.js";
import { bareConfig, FAST_STATUSES, silentLog } from "./test-helpers.js";

let flank: Embedded;
const events: FlankEvent[] = [];
beforeAll(async () => {
  flank = await startEmbedded(bareConfig(), silentLog(), { port: 0, statusTiming: FAST_STATUSES });
  await flank.bus.tap("flank.>", (event, channel) => {
    if (channel === topicChannel(event.type)) events.push(event);
  });
});
afterAll(() => flank?.stop());

const webhook = () => `${flank.url}/webhook/whatsapp`;

describe("embedded mode (npm start)", () => {
  it("runs on the in-memory bus and store with the simulator and offline replies, and says so", () => {
    expect(flank.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(flank.playgroundUrl).toMatch(new RegExp(`^${flank.url}/playground#token=`));
    expect(flank.consoleUrl).toBe(`${flank.url}/console`);
    expect(flank.simulated.join("\n")).toMatch(/Cloud API[\s\S]*OpenAI[\s\S]*bus[\s\S]*store/);
    expect(flank.simulator?.base).toBe(flank.config.whatsapp.graphApiBase);
  });

  it("generates local secrets, so signatures and API keys are still checked", async () => {
    const { appSecret, apiKey, verifyToken } = flank.generated;
    expect(appSecret).toMatch(/^[0-9a-f]{48}$/);
    expect(apiKey).toMatch(/^flk_local_[0-9a-f]{32}$/);
    const { payload } = inboundTextWebhook({
      phoneNumberId: LOCAL_PHONE_NUMBER_ID,
      from: "16505550100",
      text: "x",
    });
    expect((await postWebhook({ url: webhook() }, payload)).status).toBe(401);
    expect((await postWebhook({ url: webhook(), appSecret: "wrong" }, payload)).status).toBe(403);
    expect((await fetch(`${flank.url}/v1/conversations`)).status).toBe(401);
    const authed = await fetch(`${flank.url}/v1/conversations`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(authed.status).toBe(200);
    // A local agent for the console: its key signs in as that agent.
    const me = await fetch(`${flank.url}/v1/agents/me`, {
      headers: { authorization: `Bearer ${flank.generated.agentKey}` },
    });
    expect(await me.json()).toMatchObject({ agent: { id: "local", tenants: ["*"] } });
    const verify = await fetch(
      `${webhook()}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`,
    );
    expect(await verify.text()).toBe("1158201444");
  });

  it("answers a signed webhook: the bot's reply reaches the simulator, whose statuses come back", async () => {
    const sim = flank.simulator;
    if (!sim) throw new Error("simulator expected");
    const { payload, wamid } = inboundTextWebhook({
      phoneNumberId: LOCAL_PHONE_NUMBER_ID,
      from: "16505551234",
      name: "Ana",
      text: "hi",
    });
    const res = await postWebhook({ url: webhook(), appSecret: flank.generated.appSecret }, payload);
    expect(res.status).toBe(200);

    await waitFor(() => sim.accepted.some((a) => a.to?.endsWith("16505551234")), {
      timeoutMs: 10_000,
      what: "reply",
    });
    const reply = sim.accepted.find((a) => a.to?.endsWith("16505551234"));
    expect(reply?.body).toMatchObject({
      messaging_product: "whatsapp",
      type: "text",
      text: { body: expect.stringContaining("assistant") },
    });
    // the bot marked the user's message read, with the simulator's token
    expect(sim.sent()).toContainEqual(expect.objectContaining({ status: "read", message_id: wamid }));
    expect(
      sim.requests.every((r) => r.headers.authorization === `Bearer ${flank.config.whatsapp.token}`),
    ).toBe(true);

    // Meta's part: sent, delivered, read, signed, accepted by the gateway, on the bus as inbound.status
    await waitFor(() => events.some((e) => e.type === "inbound.status" && e.data.status === "read"), {
      timeoutMs: 10_000,
      what: "read status",
    });
    const statuses = events.flatMap((e) =>
      e.type === "inbound.status" && e.data.wamid === reply?.wamid ? [e.data.status] : [],
    );
    expect(statuses).toEqual(["sent", "delivered", "read"]);
    await sim.idle();
    expect(sim.statuses.filter((s) => s.wamid === reply?.wamid).map((s) => [s.status, s.httpStatus])).toEqual(
      [
        ["sent", 200],
        ["delivered", 200],
        ["read", 200],
      ],
    );
    const routed = events.find((e) => e.type === "conversation.routed");
    expect(routed).toMatchObject({
      conversationId: `${LOCAL_PHONE_NUMBER_ID}:16505551234`,
      data: { route: "bot" },
    });
  });

  it("names each part once in its log lines (one service key: flank, router, responder or gateway)", async () => {
    const lines: string[] = [];
    const config = bareConfig({ LOG_LEVEL: "info" });
    const other = await startEmbedded(
      config,
      embeddedLogger(config, { write: (l: string) => void lines.push(l) }),
      {
        port: 0,
      },
    );
    await other.stop();
    const services = lines.map((line) => [...line.matchAll(/"service":"([^"]*)"/g)].map((m) => m[1]));
    expect(services.filter((s) => s.length !== 1)).toEqual([]);
    expect(new Set(services.flat())).toEqual(new Set(["flank", "router", "responder", "gateway"]));
  });

  it("stops idempotently", async () => {
    const other = await startEmbedded(bareConfig(), silentLog(), { port: 0 });
    await Promise.all([other.stop(), other.stop()]);
    await other.stop();
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });

  it("shares one integration service: a number added through the admin API is sent from at once", async () => {
    const number = "106540352249999";
    const send = async (key: string) => {
      await flank.bus.publish(
        createEvent({
          type: "outbound.request",
          tenant: number,
          conversationId: `${number}:16505550199`,
          data: {
            idempotencyKey: key,
            to: "16505550199",
            message: { type: "template", name: "hello_world", language: "en_US" },
            source: "api",
          },
        }),
      );
      await waitFor(
        () =>
          events.some(
            (e) =>
              e.type === "outbound.result" &&
              e.data.idempotencyKey === key &&
              (e.data.status === "sent" || e.data.final),
          ),
        { what: key },
      );
      return events.find(
        (e) =>
          e.type === "outbound.result" &&
          e.data.idempotencyKey === key &&
          (e.data.status === "sent" || e.data.final),
      );
    };
    // Unknown to the sender: refused (and remembered as unknown for a few seconds).
    expect(await send("before-integration")).toMatchObject({
      data: { status: "failed", error: { reason: "no_token" } },
    });
    const created = await fetch(`${flank.url}/api/v1/channels/whatsapp/integrations`, {
      method: "POST",
      headers: { authorization: `Bearer ${flank.generated.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ phone_number_id: number, access_token: flank.generated.simulatorToken }),
    });
    expect(created.status).toBe(201);
    // The gateway's write cleared the cache the sender reads: no wait for its TTL.
    expect(await send("after-integration")).toMatchObject({ data: { status: "sent" } });
  });
});
