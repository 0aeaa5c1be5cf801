import {
  echoWebhook,
  inboundTextWebhook,
  postWebhook,
  userPreferenceWebhook,
  webhookEnvelope,
} from "@flank/devtools";
import { type FlankEvent, topicChannel } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";
import { LOCAL_PHONE_NUMBER_ID as PNID } from "./local-config.js";
import { bareConfig, FAST_STATUSES, silentLog } from "./test-helpers.js";

/**
 * End to end in the embedded mode (gateway, router with its sync worker, responder, Graph API
 * simulator): what Meta sends besides user messages changes what the bot does.
 */
let flank: Embedded;
const events: FlankEvent[] = [];
beforeAll(async () => {
  flank = await startEmbedded(bareConfig(), silentLog(), { port: 0, statusTiming: FAST_STATUSES });
  await flank.bus.tap("flank.>", (event, channel) => {
    if (channel === topicChannel(event.type)) events.push(event);
  });
});
afterAll(() => flank?.stop());

const post = async (payload: unknown) => {
  const res = await postWebhook(
    { url: `${flank.url}/webhook/whatsapp`, appSecret: flank.generated.appSecret },
    payload,
  );
  expect(res.status).toBe(200);
};
const say = (from: string, text: string) => {
  const { payload, wamid } = inboundTextWebhook({ phoneNumberId: PNID, from, text });
  return post(payload).then(() => wamid);
};
const repliesTo = (to: string) =>
  events.filter((e) => e.type === "outbound.request" && e.data.to === to && e.data.message.type !== "read")
    .length;
const routedFor = (wamid: string) =>
  events.find((e) => e.type === "conversation.routed" && e.data.message.wamid === wamid);

describe("embedded: coexistence, preferences, groups and identity end to end", () => {
  it("a person answering from the WhatsApp Business app pauses the bot for that conversation", async () => {
    const user = "16505550201";
    await say(user, "hi");
    await waitFor(() => repliesTo(user) === 1, { timeoutMs: 10_000, what: "first reply" });

    const echo = echoWebhook({ phoneNumberId: PNID, to: user, text: "Hi, Maria here from the shop!" });
    await post(echo.payload);
    await waitFor(async () => (await flank.stores.conversations.get(`${PNID}:${user}`))?.route === "human", {
      what: "paused",
    });
    expect(await flank.stores.messages.getByWamid(echo.wamid)).toMatchObject({
      direction: "outbound",
      origin: "business_app",
    });

    const second = await say(user, "great, thanks Maria");
    await waitFor(() => routedFor(second) !== undefined, { what: "second routed" });
    // Route human: the bot (which answers route bot only) leaves it to the person.
    expect(routedFor(second)).toMatchObject({ data: { route: "human" } });
    expect(repliesTo(user)).toBe(1);
  });

  it("a marketing opt-out refuses marketing templates before any Graph call; resume lifts it", async () => {
    const user = "16505550202";
    const sim = flank.simulator;
    if (!sim) throw new Error("simulator expected");
    const send = async (key: string) => {
      const res = await fetch(`${flank.url}/v1/messages`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${flank.generated.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body: JSON.stringify({
          to: `+${user}`,
          message: { type: "template", name: "spring_sale", language: "en_US", category: "marketing" },
        }),
      });
      expect(res.status).toBe(202);
      await waitFor(
        () =>
          events.some((e) => e.type === "outbound.result" && e.data.idempotencyKey === key && e.data.final),
        { timeoutMs: 10_000, what: `result of ${key}` },
      );
      return events.find((e) => e.type === "outbound.result" && e.data.idempotencyKey === key);
    };
    const preference = async (value: "stop" | "resume") => {
      await post(userPreferenceWebhook({ phoneNumberId: PNID, waId: user, value }));
      await waitFor(
        async () =>
          (await flank.stores.users.find(PNID, { waId: user }))?.preferences?.marketing_messages?.value ===
          value,
        { what: value },
      );
    };

    await preference("stop");
    expect(await send("mkt-stopped")).toMatchObject({
      data: { status: "failed", error: { code: 131050, reason: "marketing_opted_out" } },
    });
    expect(sim.requests.some((r) => JSON.stringify(r.body).includes(user))).toBe(false);

    await preference("resume");
    expect(await send("mkt-resumed")).toMatchObject({ data: { status: "sent" } });
  });

  it("a group message gets no private reply and no automatic reply by default", async () => {
    const member = "16505550203";
    const { payload, wamid } = inboundTextWebhook({ phoneNumberId: PNID, from: member, text: "hello group" });
    const value = payload.entry[0]?.changes[0]?.value as { messages?: Record<string, unknown>[] } | undefined;
    const message = value?.messages?.[0];
    if (!message) throw new Error("message expected");
    message.group_id = "GROUPE2E";
    await post(payload);
    await waitFor(() => routedFor(wamid) !== undefined, { what: "group routed" });
    expect(routedFor(wamid)).toMatchObject({ conversationId: `${PNID}:GROUPE2E`, data: { route: "human" } });
    expect(repliesTo(member)).toBe(0);
    expect(repliesTo("GROUPE2E")).toBe(0);
  });

  it("a username user whose phone number stops being sent keeps the conversation", async () => {
    const user = "16505550204";
    const bsuid = "US.40000000000000000204";
    const message = (from: string, id: string) =>
      webhookEnvelope(
        { phoneNumberId: PNID },
        {
          contacts: [{ profile: { name: "Bo", username: "bo.b" }, wa_id: from, user_id: bsuid }],
          messages: [
            {
              from,
              from_user_id: bsuid,
              id,
              timestamp: String(Math.floor(Date.now() / 1000)),
              type: "text",
              text: { body: "hi" },
            },
          ],
        },
      );
    await post(message(user, "wamid.BSUID1"));
    await waitFor(() => routedFor("wamid.BSUID1") !== undefined);
    await post(message("", "wamid.BSUID2"));
    await waitFor(() => routedFor("wamid.BSUID2") !== undefined);
    expect(routedFor("wamid.BSUID2")).toMatchObject({ conversationId: `${PNID}:${user}` });
    // The reply goes to the BSUID (no number to send to), in the same conversation.
    await waitFor(
      () =>
        events.some(
          (e) =>
            e.type === "outbound.request" &&
            e.data.recipient === bsuid &&
            e.conversationId === `${PNID}:${user}`,
        ),
      { timeoutMs: 10_000, what: "reply to the BSUID" },
    );
  });
});
