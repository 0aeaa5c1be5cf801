import type { Bus } from "@flank/shared/bus";
import type { FlankEvent } from "@flank/shared/contract";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { type Conversation, type ConversationStore, createMemoryStores } from "@flank/shared/store";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  assignQueued,
  handoffConversation,
  markRead,
  mutateConversation,
  noteAgentReply,
  pauseForHuman,
  type RoutingDeps,
  releaseConversation,
  takeConversation,
  transferConversation,
} from "./conversation-ops.js";

const recordingBus = () => {
  const events: FlankEvent[] = [];
  const bus = {
    publish: async (e: FlankEvent | readonly FlankEvent[]) => {
      const list = Array.isArray(e) ? e : [e];
      events.push(...list);
      return { published: list.map((x) => x.id), duplicates: [] };
    },
  } as unknown as Bus;
  return { bus, events };
};

const setup = async (route: Conversation["route"] = "bot") => {
  const stores = createMemoryStores();
  const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
  const { bus, events } = recordingBus();
  const clock = { now: new Date("2026-06-01T10:00:00.000Z") };
  const deps: RoutingDeps = {
    conversations: stores.conversations,
    presence,
    bus,
    log: pino({ level: "silent" }),
    agents: stores.agents,
    clock: () => clock.now,
  };
  const id = "111:5511";
  const agentId = route.startsWith("agent:") ? route.slice(6) : undefined;
  await stores.conversations.save({ id, tenant: "111", user: "5511", stage: "chat", route, agentId }, 0);
  if (agentId) await presence.addLoad(agentId, 1);
  return { deps, presence, events, id, stores, clock, get: () => stores.conversations.get(id) };
};
const updates = (events: FlankEvent[]) =>
  events.flatMap((e) =>
    e.type === "conversation.updated" ? [[e.data.change, e.data.route, e.data.agentId]] : [],
  );

describe("routing operations", () => {
  it("handoff with nobody online queues the conversation", async () => {
    const { deps, events, id, get } = await setup();
    expect(await handoffConversation(deps, id, "api")).toMatchObject({
      ok: true,
      conversation: { route: "queue" },
    });
    expect(await get()).toMatchObject({ route: "queue", version: 2 });
    expect(updates(events)).toEqual([["handoff", "queue", undefined]]);
  });

  it("handoff assigns the least-loaded online agent", async () => {
    const { deps, presence, events, id, get } = await setup();
    await presence.heartbeat("ana");
    await presence.heartbeat("bob");
    await presence.addLoad("ana", 3);
    expect(await handoffConversation(deps, id, "api")).toMatchObject({
      ok: true,
      conversation: { route: "agent:bob" },
    });
    expect(await get()).toMatchObject({ route: "agent:bob", agentId: "bob" });
    expect((await presence.status("bob")).load).toBe(1);
    expect(updates(events)).toEqual([
      ["handoff", "queue", undefined],
      ["assignment", "agent:bob", "bob"],
    ]);
  });

  it("assignQueued picks up a queued conversation once an agent comes online", async () => {
    const { deps, presence, id, get } = await setup("queue");
    expect(await assignQueued(deps, id, "x")).toMatchObject({ ok: true, changed: false });
    await presence.heartbeat("ana");
    expect(await assignQueued(deps, id, "agent online")).toMatchObject({
      changed: true,
      conversation: { route: "agent:ana" },
    });
    expect((await get())?.agentId).toBe("ana");
  });

  it("take over: from the bot, idempotent for the holder, conflict for another agent", async () => {
    const { deps, presence, events, id } = await setup();
    expect(await takeConversation(deps, id, "ana")).toMatchObject({ ok: true, changed: true });
    expect(await takeConversation(deps, id, "ana")).toMatchObject({ ok: true, changed: false });
    expect(await takeConversation(deps, id, "bob")).toMatchObject({ ok: false, code: "conflict" });
    expect(await handoffConversation(deps, id, "api")).toMatchObject({ ok: false, code: "conflict" });
    expect((await presence.status("ana")).load).toBe(1);
    expect(updates(events)).toEqual([["assignment", "agent:ana", "ana"]]);
  });

  it("release returns it to the bot and frees the agent; only the holder may release", async () => {
    const { deps, presence, events, id, get } = await setup("agent:ana");
    expect(await releaseConversation(deps, id, { agentId: "bob" })).toMatchObject({
      ok: false,
      code: "conflict",
    });
    expect(await releaseConversation(deps, id, { agentId: "ana" })).toMatchObject({
      ok: true,
      changed: true,
    });
    expect(await get()).toMatchObject({ route: "bot" });
    expect((await get())?.agentId).toBeUndefined();
    expect((await presence.status("ana")).load).toBe(0);
    expect(updates(events)).toEqual([["released", "bot", "ana"]]);
    expect(await releaseConversation(deps, "111:nobody")).toMatchObject({ ok: false, code: "not_found" });
  });

  it("transfer: from the holder (or the queue) to another agent, moving the load", async () => {
    const { deps, presence, events, id, get } = await setup("agent:ana");
    expect(await transferConversation(deps, id, { to: "bob", from: "cy" })).toMatchObject({
      ok: false,
      code: "conflict",
    });
    expect(await transferConversation(deps, id, { to: "bob", from: "ana" })).toMatchObject({
      ok: true,
      changed: true,
      conversation: { route: "agent:bob", agentId: "bob" },
    });
    expect([(await presence.status("ana")).load, (await presence.status("bob")).load]).toEqual([0, 1]);
    expect(await transferConversation(deps, id, { to: "bob" })).toMatchObject({ ok: true, changed: false });
    expect(updates(events)).toEqual([["assignment", "agent:bob", "bob"]]);
    await releaseConversation(deps, id);
    expect(await transferConversation(deps, id, { to: "ana" })).toMatchObject({
      ok: false,
      code: "conflict",
    });
    expect((await get())?.route).toBe("bot");
  });

  it("tracks unread messages and the wait for a first agent reply", async () => {
    const { deps, id, get, clock } = await setup();
    await handoffConversation(deps, id, "api");
    expect(await get()).toMatchObject({ route: "queue", awaitingAgentSince: "2026-06-01T10:00:00.000Z" });
    const queued = await get();
    if (!queued) throw new Error("lost");
    await deps.conversations.save({ ...queued, unread: 2 }, queued.version);
    clock.now = new Date("2026-06-01T10:01:00.000Z");
    await takeConversation(deps, id, "ana");
    // The wait runs from the handoff, not from the take.
    expect(await get()).toMatchObject({ awaitingAgentSince: "2026-06-01T10:00:00.000Z", unread: 2 });
    expect(await markRead(deps, id)).toMatchObject({ ok: true, changed: true, conversation: { unread: 0 } });
    expect(await markRead(deps, id)).toMatchObject({ ok: true, changed: false });
    clock.now = new Date("2026-06-01T10:02:30.000Z");
    expect(await noteAgentReply(deps, id)).toEqual({ waitedMs: 150_000 });
    expect((await get())?.awaitingAgentSince).toBeUndefined();
    expect(await noteAgentReply(deps, id)).toEqual({});
    await releaseConversation(deps, id);
    expect(await get()).toMatchObject({ route: "bot" });
    expect((await get())?.unread).toBeUndefined();
    expect(await markRead(deps, "111:nobody")).toMatchObject({ ok: false, code: "not_found" });
  });

  it("assigns only to agents who may work on the conversation's number", async () => {
    const { deps, presence, stores, id, get } = await setup("queue");
    const agent = (agentId: string, tenants: string[], enabled = true) => ({
      id: agentId,
      name: agentId,
      tenants,
      enabled,
      keyHash: `h-${agentId}`,
      keyHint: "…",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
    });
    await stores.agents.create(agent("ana", ["222"]));
    await stores.agents.create(agent("bob", ["*"], false));
    await stores.agents.create(agent("cy", ["111", "222"]));
    await presence.heartbeat("ana");
    await presence.heartbeat("bob");
    expect(await assignQueued(deps, id, "x")).toMatchObject({ changed: false });
    await presence.heartbeat("cy");
    await presence.addLoad("cy", 4);
    expect(await assignQueued(deps, id, "x")).toMatchObject({ conversation: { route: "agent:cy" } });
    expect((await get())?.agentId).toBe("cy");
  });

  it("mutateConversation re-reads and retries when another writer saved first", async () => {
    const { deps, id } = await setup();
    const stale = await deps.conversations.get(id);
    await deps.conversations.save({ ...(stale as Conversation), stage: "elsewhere" }, 1);
    const seen: (string | null)[] = [];
    const { saved } = await mutateConversation(
      deps.conversations,
      id,
      (c) => {
        seen.push(c?.stage ?? null);
        return { result: null, save: c && { ...c, profileName: "Zé" } };
      },
      { first: stale },
    );
    expect(seen).toEqual(["chat", "elsewhere"]);
    expect(saved).toMatchObject({ stage: "elsewhere", profileName: "Zé", version: 3 });
  });

  it("gives up with a retryable error when the conversation never stops changing", async () => {
    const { deps, id } = await setup();
    const store = deps.conversations;
    const flaky: ConversationStore = {
      ...store,
      get: (i) => store.get(i),
      list: (f, p) => store.list(f, p),
      save: async () => ({ ok: false, current: await store.get(id) }),
    };
    await expect(
      mutateConversation(flaky, id, (c) => ({ result: 1, save: c }), { attempts: 3 }),
    ).rejects.toMatchObject({ name: "ConversationConflict", retryable: true });
  });
});

describe("pauses for a person answering outside Flank (route human)", () => {
  const ids = { id: "111:5511", tenant: "111", user: "5511" };
  const at = (m: number) => new Date(Date.UTC(2026, 5, 1, 12, m)).toISOString();

  it("pauses a bot conversation, only ever extends the pause, and says so", async () => {
    const t = await setup("bot");
    expect(await pauseForHuman(t.deps, ids, at(30), "app reply")).toMatchObject({ ok: true, changed: true });
    expect(await t.get()).toMatchObject({
      route: "human",
      pausedUntil: at(30),
      pauseReason: "app reply",
      stage: "chat",
    });
    expect(await pauseForHuman(t.deps, ids, at(10), "app reply")).toMatchObject({ changed: false });
    expect(await pauseForHuman(t.deps, ids, at(45), "app reply")).toMatchObject({ changed: true });
    expect((await t.get())?.pausedUntil).toBe(at(45));
    const changes = t.events.flatMap((e) => (e.type === "conversation.updated" ? [e.data] : []));
    expect(changes.map((c) => [c.change, c.pausedUntil])).toEqual([
      ["paused", at(30)],
      ["paused", at(45)],
    ]);
  });

  it("leaves the queue's and an agent's conversations alone, and creates one when none exists", async () => {
    for (const route of ["queue", "agent:ann"] as const) {
      const t = await setup(route);
      expect(await pauseForHuman(t.deps, ids, at(30), "app reply")).toMatchObject({ changed: false });
      expect((await t.get())?.route).toBe(route);
    }
    const t = await setup("bot");
    const other = { id: "111:7777", tenant: "111", user: "7777" };
    expect(await pauseForHuman(t.deps, other, at(30), "app reply")).toMatchObject({
      ok: true,
      conversation: { route: "human", stage: null, user: "7777" },
    });
  });

  it("an agent can take a paused conversation, and release ends the pause", async () => {
    const t = await setup("bot");
    await pauseForHuman(t.deps, ids, at(30), "app reply");
    expect(await takeConversation(t.deps, ids.id, "ann")).toMatchObject({
      ok: true,
      conversation: { route: "agent:ann" },
    });
    expect((await t.get())?.pausedUntil).toBeUndefined();
    const u = await setup("bot");
    await pauseForHuman(u.deps, ids, at(30), "app reply");
    await releaseConversation(u.deps, ids.id);
    expect(await u.get()).toMatchObject({ route: "bot" });
    expect((await u.get())?.pauseReason).toBeUndefined();
    expect(updates(u.events).map((x) => x[0])).toEqual(["paused", "resumed"]);
  });
});
