import { createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventInit, type FlankEvent } from "@flank/shared/contract";
import { createFlowRegistry, type FlowInput } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores, MemorySessionCache } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startRouter } from "./index.js";
import type { RouterDeps } from "./router-worker.js";
import { inbound, observe, textFrom } from "./test-helpers.js";

const log = createLogger({ level: "silent" });
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const DESK: FlowInput = {
  id: "desk",
  initialStage: "start",
  stages: {
    start: {
      goal: "Help.",
      replies: ["How can I help?"],
      transitions: [
        { to: "more", when: { keywords: ["more"] } },
        { to: "callback", when: { missedCall: true } },
      ],
    },
    more: { goal: "More help.", replies: ["Tell me more."], transitions: [] },
    callback: { goal: "A person calls back.", replies: ["We will call you back."], handoff: true },
  },
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(over: Partial<RouterDeps> & { now?: number } = {}) {
  const bus = createMemoryBus(log, { partitions: 4, retryBaseDelayMs: 5 });
  const stores = createMemoryStores();
  const cache = new MemorySessionCache(3600);
  const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
  const flows = createFlowRegistry(
    [DESK, { ...DESK, id: "desk-groups", groups: { autoReply: true } }],
    "desk",
  );
  const clock = () => new Date(over.now ?? T0);
  const router = await startRouter({ bus, stores, cache, flows, presence, log, clock, ...over });
  const seen = await observe(bus, ["conversation.routed", "conversation.updated"]);
  cleanups.push(
    () => bus.close(),
    () => seen.close(),
    () => router.stop(),
  );
  const send = (e: FlankEvent) => bus.publish(e);
  return { bus, stores, cache, presence, seen, send };
}

const event = <T extends FlankEvent["type"]>(init: EventInit<T>) => createEvent(init);

const echo = (user: string, over: Record<string, unknown>, minutes: number) =>
  event({
    type: "inbound.echo",
    tenant: "111",
    conversationId: `111:${user}`,
    data: {
      wamid: `wamid.echo.${minutes}.${String(over.type ?? "text")}`,
      phoneNumberId: "111",
      from: "15550783881",
      to: user,
      timestamp: iso(minutes),
      type: "text",
      raw: {},
      ...over,
    },
  });

describe("coexistence with the WhatsApp Business app", () => {
  it("stores an echo as the business's message and pauses the bot for HUMAN_REPLY_PAUSE_MINUTES", async () => {
    const r = await setup({ humanReplyPauseMinutes: 30, now: T0 + 60_000 });
    await r.send(textFrom("5511", "hi", { timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    expect(r.seen.routed()[0]?.data.route).toBe("bot");

    await r.send(echo("5511", { text: "A person here: how can I help?" }, 1));
    await waitFor(async () => (await r.stores.conversations.get("111:5511"))?.route === "human");
    const paused = await r.stores.conversations.get("111:5511");
    expect(paused).toMatchObject({ route: "human", pausedUntil: iso(31), stage: "start" });
    expect(paused?.pauseReason).toMatch(/WhatsApp Business app/);
    const stored = await r.stores.messages.getByWamid("wamid.echo.1.text");
    expect(stored).toMatchObject({
      conversationId: "111:5511",
      direction: "outbound",
      origin: "business_app",
      body: "A person here: how can I help?",
    });
    expect((await r.cache.recent("111:5511", 10)).map((e) => [e.role, e.text])).toEqual([
      ["agent", "A person here: how can I help?"],
    ]);
    await waitFor(() => r.seen.updated().some((u) => u.data.change === "paused"));
    expect(r.seen.updated().find((u) => u.data.change === "paused")?.data.pausedUntil).toBe(iso(31));

    // While paused the route says so, and the bot (route !== bot) does not answer.
    await r.send(textFrom("5511", "more please", { timestamp: iso(10) }));
    await waitFor(() => r.seen.routed().length === 2);
    expect(r.seen.routed()[1]?.data).toMatchObject({ route: "human", stageAfter: "start" });
    expect(r.seen.routed()[1]?.data.reason).toMatch(/paused until/);
    // Recorded for the bot's next prompt, since the bot itself did not answer it.
    await waitFor(async () => (await r.cache.recent("111:5511", 10)).some((e) => e.text === "more please"));
    expect((await r.cache.recent("111:5511", 10)).map((e) => e.role)).toEqual(["agent", "user"]);

    // After the pause the bot is back, and the stage moves again.
    await r.send(textFrom("5511", "more please", { timestamp: iso(40) }));
    await waitFor(() => r.seen.routed().length === 3);
    expect(r.seen.routed()[2]?.data).toMatchObject({ route: "bot", stageAfter: "more" });
    expect(r.seen.routed()[2]?.data.reason).toMatch(/pause over/);
    await waitFor(() => r.seen.updated().some((u) => u.data.change === "resumed"));
  });

  it("does not pause when HUMAN_REPLY_PAUSE_MINUTES is 0, nor for an agent's conversation", async () => {
    const r = await setup({ humanReplyPauseMinutes: 0 });
    await r.send(echo("5512", { text: "hello from the app" }, 0));
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.echo.0.text")) !== undefined);
    expect(await r.stores.conversations.get("111:5512")).toBeUndefined();
  });

  it("applies echoes of edits and revokes to the stored echo, without a route", async () => {
    const r = await setup({ now: T0 });
    await r.send(echo("5513", { wamid: "wamid.E1", text: "Ships today" }, 0));
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.E1")) !== undefined);
    await r.send(
      echo(
        "5513",
        {
          wamid: "wamid.E2",
          type: "edit",
          text: "Ships tomorrow",
          edit: { originalMessageId: "wamid.E1", type: "text" },
        },
        1,
      ),
    );
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.E1"))?.body === "Ships tomorrow");
    expect((await r.stores.messages.getByWamid("wamid.E1"))?.edits).toEqual([
      { id: "wamid.E2", body: "Ships today", type: "text", at: iso(1) },
    ]);
    await r.send(
      echo("5513", { wamid: "wamid.E3", type: "revoke", revoke: { originalMessageId: "wamid.E1" } }, 2),
    );
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.E1"))?.deletedAt === iso(2));
    expect(r.seen.routed()).toEqual([]);
  });

  it("stores a history import without routing anything", async () => {
    const r = await setup();
    const history = (wamid: string, direction: "inbound" | "outbound", text: string, minutes: number) =>
      event({
        type: "inbound.history",
        tenant: "111",
        conversationId: "111:5514",
        data: {
          wamid,
          phoneNumberId: "111",
          displayPhoneNumber: "15550783881",
          ...(direction === "inbound" ? { from: "5514" } : { from: "15550783881", to: "5514" }),
          direction,
          threadId: "5514",
          timestamp: iso(-60 * 24 * 100 + minutes),
          type: "text",
          text,
          historyStatus: "READ",
          phase: 1,
          raw: {},
        },
      });
    await r.send(history("wamid.H1", "outbound", "Your table is booked.", 0));
    await r.send(history("wamid.H2", "inbound", "Thanks!", 1));
    await waitFor(
      async () => (await r.stores.messages.listByConversation("111:5514", { limit: 10 })).items.length === 2,
    );
    const items = (await r.stores.messages.listByConversation("111:5514", { limit: 10 })).items;
    expect(items.map((m) => [m.direction, m.body, m.origin])).toEqual([
      ["outbound", "Your table is booked.", "history"],
      ["inbound", "Thanks!", "history"],
    ]);
    expect(r.seen.routed()).toEqual([]);
    expect(await r.stores.conversations.get("111:5514")).toBeUndefined();
  });
});

describe("edits and revokes from the user", () => {
  it("updates the stored message (original kept), marks revokes, and never routes either", async () => {
    const r = await setup();
    await r.send(textFrom("5520", "red please", { wamid: "wamid.U1", timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    await r.send(
      inbound("5520", {
        wamid: "wamid.U2",
        type: "edit",
        text: "blue please",
        edit: { originalMessageId: "wamid.U1", type: "text" },
        timestamp: iso(1),
      }),
    );
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.U1"))?.body === "blue please");
    expect((await r.stores.messages.getByWamid("wamid.U1"))?.edits?.[0]).toMatchObject({
      body: "red please",
    });
    await r.send(
      inbound("5520", {
        wamid: "wamid.U3",
        type: "revoke",
        revoke: { originalMessageId: "wamid.U1" },
        timestamp: iso(2),
      }),
    );
    await waitFor(async () => (await r.stores.messages.getByWamid("wamid.U1"))?.deletedAt === iso(2));
    // A later text is routed: the edit and the revoke never were.
    await r.send(textFrom("5520", "ok", { timestamp: iso(3) }));
    await waitFor(() => r.seen.routed().length === 2);
    expect(r.seen.routed().map((e) => e.data.message.type)).toEqual(["text", "text"]);
    expect((await r.cache.recent("111:5520", 10)).map((e) => [e.amends, e.id, e.text])).toEqual([
      ["edit", "wamid.U1", "blue please"],
      ["revoke", "wamid.U1", ""],
    ]);
  });
});

describe("marketing preferences and templates", () => {
  it("keeps stop and resume per user, the newest winning", async () => {
    const r = await setup();
    const pref = (value: string, minutes: number) =>
      event({
        type: "inbound.preference",
        tenant: "111",
        conversationId: "111:5530",
        data: {
          phoneNumberId: "111",
          waId: "5530",
          category: "marketing_messages",
          value,
          timestamp: iso(minutes),
          raw: {},
        },
      });
    await r.send(pref("stop", 0));
    await waitFor(
      async () =>
        (await r.stores.users.find("111", { waId: "5530" }))?.preferences?.marketing_messages?.value ===
        "stop",
    );
    await r.send(pref("resume", 5));
    await r.send(pref("stop", 1)); // late delivery of an older change
    await waitFor(
      async () =>
        (await r.stores.users.find("111", { waId: "5530" }))?.preferences?.marketing_messages?.at === iso(5),
    );
    expect((await r.stores.users.find("111", { waId: "5530" }))?.preferences?.marketing_messages?.value).toBe(
      "resume",
    );
  });

  it("stores a template's status, category and quality", async () => {
    const r = await setup();
    const update = (data: Record<string, unknown>, minutes: number) =>
      event({
        type: "template.update",
        tenant: "999",
        conversationId: "999:system",
        data: {
          field: "message_template_status_update",
          wabaId: "999",
          name: "we_miss_you",
          language: "en-US",
          timestamp: iso(minutes),
          raw: {},
          ...data,
        },
      });
    await r.send(update({ event: "APPROVED", category: "MARKETING" }, 0));
    await r.send(update({ event: "PAUSED", reason: "NONE" }, 1));
    await r.send(update({ field: "message_template_quality_update", quality: "RED" }, 2));
    await waitFor(
      async () =>
        (await r.stores.templates.find({ name: "we_miss_you", language: "en_US" }))?.quality === "RED",
    );
    expect(
      await r.stores.templates.find({ wabaId: "999", name: "we_miss_you", language: "en_US" }),
    ).toMatchObject({
      status: "PAUSED",
      category: "MARKETING",
      quality: "RED",
    });
  });
});

describe("calls", () => {
  const call = (user: string, data: Record<string, unknown>, minutes: number) =>
    event({
      type: "inbound.call",
      tenant: "111",
      conversationId: `111:${user}`,
      data: {
        phoneNumberId: "111",
        callId: `wacid.${minutes}`,
        event: "terminate",
        direction: "USER_INITIATED",
        user,
        timestamp: iso(minutes),
        raw: {},
        ...data,
      },
    });

  it("a missed call follows the flow's missedCall transition to a person", async () => {
    const r = await setup();
    await r.presence.heartbeat("ann");
    await r.send(textFrom("5540", "hi", { timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    await r.send(call("5540", { status: "FAILED" }, 5));
    await waitFor(async () => (await r.stores.conversations.get("111:5540"))?.route === "agent:ann");
    expect(await r.stores.conversations.get("111:5540")).toMatchObject({
      stage: "callback",
      lastInboundAt: iso(5),
    });
    expect(r.seen.updated().map((u) => u.data.reason)).toContain("missed call → callback (handoff stage)");
  });

  it("an answered call only renews the 24-hour window", async () => {
    const r = await setup();
    await r.send(textFrom("5541", "hi", { timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    await r.send(call("5541", { status: "COMPLETED", durationSeconds: 120 }, 60));
    await waitFor(async () => (await r.stores.conversations.get("111:5541"))?.lastInboundAt === iso(60));
    expect(await r.stores.conversations.get("111:5541")).toMatchObject({ stage: "start", route: "bot" });
  });
});

describe("groups", () => {
  const groupText = (text: string, minutes: number) => {
    const e = textFrom("5550", text, { groupId: "GROUP1", timestamp: iso(minutes) });
    return { ...e, conversationId: "111:GROUP1" };
  };

  it("a group message belongs to the group's conversation and gets no automatic reply by default", async () => {
    const r = await setup();
    await r.send(groupText("hello all", 0));
    await waitFor(() => r.seen.routed().length === 1);
    const routed = r.seen.routed()[0];
    expect(routed?.conversationId).toBe("111:GROUP1");
    expect(routed?.data.route).toBe("human");
    expect(routed?.data.reason).toMatch(/groups are off/);
    const conversation = await r.stores.conversations.get("111:GROUP1");
    expect(conversation).toMatchObject({ route: "human", user: "GROUP1" });
    expect(conversation?.waId).toBeUndefined();
    expect(await r.stores.users.find("111", { waId: "5550" })).toBeDefined();
  });

  it("answers in the group when the flow enables it", async () => {
    const r = await setup();
    await r.stores.integrations.create({
      id: "i1",
      phoneNumberId: "111",
      agentFlowId: "desk-groups",
      accessToken: "t",
      verifyToken: "verify-token-1",
      enabled: true,
      createdAt: iso(0),
      updatedAt: iso(0),
    });
    await r.send(groupText("hello all", 0));
    await waitFor(() => r.seen.routed().length === 1);
    expect(r.seen.routed()[0]?.data).toMatchObject({ route: "bot", flowId: "desk-groups" });
  });
});

describe("one person, one conversation (docs/whatsapp-contract.md: Identity)", () => {
  it("user_changed_number: stage and window carry on under the new number", async () => {
    const r = await setup();
    await r.send(textFrom("5560", "hi", { userId: "US.1", timestamp: iso(0) }));
    await r.send(textFrom("5560", "more", { userId: "US.1", timestamp: iso(1) }));
    await waitFor(() => r.seen.routed().length === 2);
    await r.send(
      inbound("5560", {
        type: "system",
        userId: "US.2",
        system: { kind: "user_changed_number", waId: "5569", userId: "US.2", previousUserId: "US.1" },
        timestamp: iso(2),
      }),
    );
    await waitFor(() => r.seen.routed().length === 3);
    await r.send(textFrom("5569", "still me", { userId: "US.2", timestamp: iso(3) }));
    await waitFor(() => r.seen.routed().length === 4);
    const last = r.seen.routed()[3];
    expect(last?.conversationId).toBe("111:5560");
    expect(last?.data).toMatchObject({ stageBefore: "more", stageAfter: "more" });
    expect(await r.stores.conversations.get("111:5560")).toMatchObject({
      waId: "5569",
      lastInboundAt: iso(3),
    });
    expect(await r.stores.conversations.get("111:5569")).toBeUndefined();
    expect((await r.stores.users.find("111", { waId: "5569" }))?.previousIds?.[0]).toMatchObject({
      waId: "5560",
      userId: "US.1",
    });
  });

  it("user_changed_user_id: a BSUID change keeps the conversation", async () => {
    const r = await setup();
    await r.send(textFrom("5561", "more", { userId: "US.10", timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    await r.send(
      inbound("US.10", {
        from: undefined,
        userId: "US.10",
        type: "system",
        system: { kind: "user_changed_user_id", userId: "US.11" },
        timestamp: iso(1),
      }),
    );
    await waitFor(() => r.seen.routed().length === 2);
    const next = inbound("US.11", {
      from: undefined,
      userId: "US.11",
      type: "text",
      text: "me again",
      timestamp: iso(2),
    });
    await r.send(next);
    await waitFor(() => r.seen.routed().length === 3);
    expect(r.seen.routed()[2]).toMatchObject({ conversationId: "111:5561", data: { stageBefore: "more" } });
  });

  it("a username user whose number stops being sent stays in the conversation", async () => {
    const r = await setup();
    await r.send(textFrom("5562", "more", { userId: "US.20", timestamp: iso(0) }));
    await waitFor(() => r.seen.routed().length === 1);
    await r.send(
      inbound("US.20", {
        from: undefined,
        userId: "US.20",
        username: "bo.b",
        type: "text",
        text: "hi",
        timestamp: iso(1),
      }),
    );
    await waitFor(() => r.seen.routed().length === 2);
    expect(r.seen.routed()[1]).toMatchObject({ conversationId: "111:5562", data: { stageBefore: "more" } });
    expect(await r.stores.conversations.get("111:5562")).toMatchObject({ lastInboundAt: iso(1) });
    expect(await r.stores.conversations.get("111:US.20")).toBeUndefined();
  });
});
