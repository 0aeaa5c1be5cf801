import {
  type Conversation,
  createLogger,
  createMemoryAgentPresence,
  createMemoryBus,
  createMemoryStores,
  type FlankEvent,
  type Route,
} from "@flank/shared";
import { waitFor } from "@flank/shared/testing";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayEnv } from "../deps.js";
import { onError } from "../errors.js";
import { agentRoutes } from "./agents.js";

const log = createLogger({ level: "silent" });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup() {
  const bus = createMemoryBus(log, { partitions: 2 });
  const stores = createMemoryStores();
  const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
  const app = new Hono<GatewayEnv>();
  app.onError(onError(log));
  app.route("/", agentRoutes({ bus, stores, log, presence }));
  const events: { channel: string; event: FlankEvent }[] = [];
  const tap = await bus.tap("flank.>", (event, channel) => {
    events.push({ channel, event });
  });
  closers.push(
    () => tap.close(),
    () => bus.close(),
  );
  const seed = async (user: string, route: Route = "bot", extra: Partial<Conversation> = {}) => {
    const agentId = route.startsWith("agent:") ? route.slice(6) : undefined;
    const res = await stores.conversations.save(
      {
        id: `111:${user}`,
        tenant: "111",
        user,
        waId: user,
        stage: "chat",
        route,
        agentId,
        lastInboundAt: new Date().toISOString(),
        ...extra,
      },
      0,
    );
    if (!res.ok) throw new Error("seed failed");
    if (agentId) await presence.addLoad(agentId, 1);
    return res.conversation;
  };
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const channelEvents = (channel: string) => events.filter((e) => e.channel === channel).map((e) => e.event);
  return { app, bus, stores, presence, seed, post, events, channelEvents };
}

describe("agent routes", () => {
  it("lists conversations filtered by route, stage and agent", async () => {
    const t = await setup();
    await t.seed("1");
    await t.seed("2", "queue");
    await t.seed("3", "agent:ana", { stage: "support" });
    const ids = async (q: string) => {
      const res = await t.app.request(`/agents/conversations${q}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Conversation[] }).items.map((c) => c.id).sort();
    };
    expect(await ids("")).toEqual(["111:1", "111:2", "111:3"]);
    expect(await ids("?route=queue")).toEqual(["111:2"]);
    expect(await ids("?agent=ana")).toEqual(["111:3"]);
    expect(await ids("?stage=support&route=agent:ana")).toEqual(["111:3"]);
    expect((await t.app.request("/agents/conversations?limit=0")).status).toBe(400);
  });

  it("take over, reply as the agent, release: events reach the conversation and agent taps", async () => {
    const t = await setup();
    await t.seed("5511");
    const take = await t.post("/agents/conversations/111:5511/take", { agentId: "ana" });
    expect(take.status).toBe(200);
    expect(await take.json()).toMatchObject({
      changed: true,
      conversation: { route: "agent:ana", agentId: "ana" },
    });
    expect((await t.presence.status("ana")).load).toBe(1);

    const other = await t.post("/agents/conversations/111:5511/take", { agentId: "bob" });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({
      error: { code: "conflict", details: { route: "agent:ana" } },
    });

    const wrongReply = await t.post("/agents/conversations/111:5511/reply", { agentId: "bob", text: "hi" });
    expect(wrongReply.status).toBe(409);
    const reply = await t.post(
      "/agents/conversations/111:5511/reply",
      { agentId: "ana", text: "Hello, Ana here" },
      { "idempotency-key": "reply-1" },
    );
    expect(reply.status).toBe(202);
    expect(await reply.json()).toMatchObject({ idempotencyKey: "reply-1", status: "queued" });

    const release = await t.post("/agents/conversations/111:5511/release", { agentId: "ana" });
    expect(release.status).toBe(200);
    expect(await release.json()).toMatchObject({ conversation: { route: "bot" } });
    expect((await t.presence.status("ana")).load).toBe(0);

    await waitFor(() => t.channelEvents("flank.agent.ana").length >= 3, { what: "agent tap" });
    expect(t.channelEvents("flank.agent.ana").map((e) => e.type)).toEqual([
      "conversation.updated",
      "outbound.request",
      "conversation.updated",
    ]);
    const outbound = t.channelEvents("flank.outbound.request")[0];
    expect(outbound).toMatchObject({
      tenant: "111",
      conversationId: "111:5511",
      data: {
        idempotencyKey: "reply-1",
        to: "5511",
        source: "agent",
        agentId: "ana",
        message: { type: "text", body: "Hello, Ana here" },
      },
    });
    await waitFor(() => t.channelEvents("flank.conversation.111:5511").length >= 3);
    expect(
      t
        .channelEvents("flank.conversation.111:5511")
        .flatMap((e) => (e.type === "conversation.updated" ? [e.data.change] : [])),
    ).toEqual(["assignment", "released"]);
  });

  it("handoff by API queues the conversation and assigns the least-loaded online agent", async () => {
    const t = await setup();
    await t.seed("1");
    await t.seed("2");
    const queued = await t.post("/agents/conversations/111:1/handoff");
    expect(queued.status).toBe(200);
    expect(await queued.json()).toMatchObject({ conversation: { route: "queue" } });

    await t.post("/agents/ana/heartbeat");
    await t.presence.addLoad("ana", 5);
    const hb = await t.post("/agents/bob/heartbeat");
    expect(await hb.json()).toMatchObject({ agentId: "bob", online: true, assignedFromQueue: 0 });
    // ana's first heartbeat already took the waiting chat.
    expect(await t.stores.conversations.get("111:1")).toMatchObject({ route: "agent:ana" });

    const assigned = await t.post("/agents/conversations/111:2/handoff", { reason: "VIP" });
    expect(await assigned.json()).toMatchObject({ conversation: { route: "agent:bob" } });
    const agents = (await (await t.app.request("/agents")).json()) as {
      agents: { agentId: string; load: number }[];
    };
    expect(agents.agents.map((a) => [a.agentId, a.load])).toEqual([
      ["bob", 1],
      ["ana", 6],
    ]);
    const off = await t.post("/agents/bob/offline");
    expect(await off.json()).toMatchObject({ online: false });
  });

  it("answers clear errors: unknown conversation, bad body, closed 24-hour window", async () => {
    const t = await setup();
    const missing = await t.post("/agents/conversations/111:nobody/take", { agentId: "ana" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
    const bad = await t.post("/agents/conversations/111:1/take", { agentId: "" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "validation_failed" } });
    expect((await t.post("/agents/bad%20id/heartbeat")).status).toBe(400);
    const both = await t.post("/agents/conversations/111:1/reply", {
      agentId: "ana",
      text: "x",
      message: { type: "text", body: "y" },
    });
    expect(both.status).toBe(400);

    await t.seed("old", "agent:ana", { lastInboundAt: new Date(Date.now() - 25 * 3600_000).toISOString() });
    const late = await t.post("/agents/conversations/111:old/reply", { agentId: "ana", text: "hello?" });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: "window_closed" } });
    const template = await t.post("/agents/conversations/111:old/reply", {
      agentId: "ana",
      message: { type: "template", name: "follow_up", language: "en" },
    });
    expect(template.status).toBe(202);
  });
});
