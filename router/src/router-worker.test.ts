import { startOpenAIServer } from "@flank/devtools";
import { createMemoryBus } from "@flank/shared/bus";
import { type FlowRegistry, loadFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores, MemorySessionCache } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIClassifier } from "./classifier.js";
import { releaseConversation } from "./conversation-ops.js";
import { createRouterWorker, type RouterDeps } from "./router-worker.js";
import { inbound, observe, textFrom } from "./test-helpers.js";

const log = createLogger({ level: "silent" });
let flows: FlowRegistry;
beforeAll(async () => {
  flows = await loadFlowRegistry({ defaultFlow: "appointment-booking" });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(over: Partial<RouterDeps> = {}) {
  const bus = createMemoryBus(log, { partitions: 4, retryBaseDelayMs: 5 });
  const stores = createMemoryStores();
  const cache = new MemorySessionCache(3600);
  const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
  const deps: RouterDeps = { bus, stores, cache, flows, presence, log, ...over };
  const worker = createRouterWorker(deps);
  await worker.start();
  const seen = await observe(bus, ["conversation.routed", "conversation.updated"]);
  cleanups.push(
    () => bus.close(),
    () => seen.close(),
    () => worker.stop(),
  );
  const routedCount = (n: number) => waitFor(() => seen.routed().length >= n, { what: `${n} routed` });
  return { ...deps, bus, stores, cache, presence, worker, seen, routedCount };
}

describe("router worker", () => {
  it("walks the booking flow, storing every message and the user, with events for each step", async () => {
    const r = await setup();
    const steps = [
      textFrom("5511", "hi"),
      textFrom("5511", "I'd like to book"),
      textFrom("5511", "12/05 at 10:30"),
      inbound("5511", {
        type: "interactive",
        interactive: { kind: "button_reply", id: "confirm.yes", title: "Yes, book it" },
      }),
    ];
    for (const e of steps) await r.bus.publish(e);
    await r.routedCount(4);

    expect(r.seen.routed().map((e) => [e.data.stageBefore, e.data.stageAfter, e.data.route])).toEqual([
      [null, "greeting", "bot"],
      ["greeting", "collect", "bot"],
      ["collect", "confirm", "bot"],
      ["confirm", "done", "bot"],
    ]);
    expect(r.seen.routed()[2]?.data).toMatchObject({
      reason: "regex → confirm",
      flowId: "appointment-booking",
    });
    // The normalized message travels on; Meta's original object stays on inbound.message.
    expect(r.seen.routed()[2]?.data.message).toMatchObject({ type: "text", text: "12/05 at 10:30" });
    expect(r.seen.routed().every((e) => !("raw" in e.data.message))).toBe(true);
    await waitFor(() => r.seen.updated().length >= 4);
    expect(r.seen.updated().map((e) => [e.data.change, e.data.stage, e.data.previous?.stage])).toEqual([
      ["stage", "greeting", undefined],
      ["stage", "collect", "greeting"],
      ["stage", "confirm", "collect"],
      ["stage", "done", "confirm"],
    ]);

    const stored = await r.stores.conversations.get("111:5511");
    expect(stored).toMatchObject({
      stage: "done",
      route: "bot",
      version: 4,
      flowId: "appointment-booking",
      waId: "5511",
    });
    expect(stored?.lastInboundAt).toBe(steps[3]?.data.timestamp);
    expect(await r.cache.getConversation("111:5511")).toEqual(stored);
    const messages = await r.stores.messages.listByConversation("111:5511", { limit: 10 });
    expect(messages.items.map((m) => [m.id, m.direction, m.body])).toEqual(
      steps.map((e) => [e.data.wamid, "inbound", e.data.text]),
    );
    expect(await r.stores.users.find("111", { waId: "5511" })).toMatchObject({ profileName: "Zé" });
  });

  it("hands off on a keyword to the least-loaded online agent; the bot stays out until release", async () => {
    const r = await setup();
    await r.presence.heartbeat("ana");
    await r.presence.heartbeat("bob");
    await r.presence.addLoad("ana", 2);
    await r.bus.publish(textFrom("5522", "hello"));
    await r.bus.publish(textFrom("5522", "I want a HUMAN please"));
    await r.bus.publish(textFrom("5522", "book"));
    await r.routedCount(3);
    expect(r.seen.routed().map((e) => [e.data.stageAfter, e.data.route])).toEqual([
      ["greeting", "bot"],
      ["greeting", "agent:bob"],
      ["greeting", "agent:bob"],
    ]);
    expect(r.seen.routed()[2]?.data.reason).toBe("held by agent:bob");
    expect(r.seen.updated().map((e) => [e.data.change, e.data.route, e.data.agentId])).toEqual([
      ["stage", "bot", undefined],
      ["handoff", "queue", undefined],
      ["assignment", "agent:bob", "bob"],
    ]);
    expect((await r.presence.status("bob")).load).toBe(1);

    const res = await releaseConversation({ ...r, conversations: r.stores.conversations }, "111:5522", {
      agentId: "bob",
    });
    expect(res.ok).toBe(true);
    await r.bus.publish(textFrom("5522", "book"));
    await r.routedCount(4);
    expect(r.seen.routed()[3]?.data).toMatchObject({ stageAfter: "collect", route: "bot" });
    expect((await r.presence.status("bob")).load).toBe(0);
  });

  it("queues a handoff stage when nobody is online and assigns once an agent is", async () => {
    const gaFlows = await loadFlowRegistry();
    const r = await setup({ flows: gaFlows });
    const tap = (id: string) =>
      inbound("5533", { type: "interactive", interactive: { kind: "button_reply", id } });
    await r.bus.publish(textFrom("5533", "hi"));
    await r.routedCount(1);
    // Move to support by hand (the classifier would), then tap "Talk to a person".
    const c = await r.stores.conversations.get("111:5533");
    if (!c) throw new Error("no conversation");
    await r.stores.conversations.save({ ...c, stage: "support" }, c.version);
    await r.bus.publish(tap("support.human"));
    await r.routedCount(2);
    expect(r.seen.routed()[1]?.data).toMatchObject({ stageAfter: "handoff", route: "queue" });
    await r.presence.heartbeat("carol");
    await r.bus.publish(textFrom("5533", "anyone?"));
    await r.routedCount(3);
    expect(r.seen.routed()[2]?.data).toMatchObject({ stageAfter: "handoff", route: "agent:carol" });
  });

  it("restarts a conversation idle past the flow's timeout, ending a stale handoff", async () => {
    const r = await setup();
    await r.presence.heartbeat("ana");
    await r.bus.publish(textFrom("5544", "book", { timestamp: "2026-05-01T10:00:00.000Z" }));
    await r.bus.publish(textFrom("5544", "agent", { timestamp: "2026-05-01T10:01:00.000Z" }));
    await r.bus.publish(textFrom("5544", "hello", { timestamp: "2026-05-02T10:02:00.000Z" }));
    await r.routedCount(3);
    expect(r.seen.routed().map((e) => [e.data.stageAfter, e.data.route])).toEqual([
      ["collect", "bot"],
      ["collect", "agent:ana"],
      ["greeting", "bot"],
    ]);
    expect(r.seen.routed()[2]?.data.reason).toBe("idle timeout: restarted");
    expect((await r.presence.status("ana")).load).toBe(0);
    expect(r.seen.updated().map((e) => e.data.change)).toContain("released");
  });

  it("uses the integration's flow, resets an unknown stored stage and recovers from a stale cache", async () => {
    const r = await setup();
    await r.stores.integrations.create({
      id: "int-1",
      phoneNumberId: "222",
      agentFlowId: "general-assistant",
      accessToken: "t",
      verifyToken: "v",
      enabled: true,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const saved = await r.stores.conversations.save(
      {
        id: "222:5555",
        tenant: "222",
        user: "5555",
        stage: "gone",
        route: "bot",
        flowId: "general-assistant",
      },
      0,
    );
    if (!saved.ok) throw new Error("seed failed");
    // The cache lags the store by one version: compare-and-set must catch it.
    await r.cache.putConversation(saved.conversation);
    await r.stores.conversations.save({ ...saved.conversation, profileName: "Newer" }, 1);
    await r.bus.publish(inbound("5555", { type: "text", text: "thanks, bye" }, "222"));
    await r.routedCount(1);
    const ga = r.seen.routed()[0];
    expect(ga?.data).toMatchObject({
      flowId: "general-assistant",
      stageBefore: "gone",
      stageAfter: "closing",
    });
    expect(ga?.data.reason).toContain("stored stage unknown");
    expect(await r.stores.conversations.get("222:5555")).toMatchObject({ version: 3, stage: "closing" });
  });

  it("reads the session cache only for a conversation it has not saved itself", async () => {
    const r = await setup();
    let reads = 0;
    const read = r.cache.getConversation.bind(r.cache);
    r.cache.getConversation = (id) => {
      reads++;
      return read(id);
    };
    for (const text of ["hi", "I'd like to book", "12/05 at 10:30"])
      await r.bus.publish(textFrom("5577", text));
    await r.routedCount(3);
    expect(r.seen.routed().map((e) => e.data.stageAfter)).toEqual(["greeting", "collect", "confirm"]);
    expect(reads).toBe(1);
    // Saved meanwhile by someone else (the agent API): the copy kept in process is stale, and the
    // store's compare-and-set catches it just as it catches a stale session cache.
    const c = await r.stores.conversations.get("111:5577");
    if (!c) throw new Error("no conversation");
    await r.stores.conversations.save({ ...c, stage: "greeting" }, c.version);
    await r.bus.publish(textFrom("5577", "book"));
    await r.routedCount(4);
    expect(r.seen.routed()[3]?.data).toMatchObject({ stageBefore: "greeting", stageAfter: "collect" });
    expect(await r.stores.conversations.get("111:5577")).toMatchObject({ version: 5, stage: "collect" });
  });

  it("routes a redelivered event once", async () => {
    const r = await setup();
    const e = textFrom("5566", "book");
    await r.bus.publish(e);
    await r.routedCount(1);
    await r.bus.publish(e);
    await r.bus.publish(textFrom("5566", "next"));
    await r.routedCount(2);
    expect(r.seen.routed().map((x) => x.data.message.wamid)).toEqual([e.data.wamid, expect.any(String)]);
    expect(r.seen.routed()[1]?.data.message.wamid).not.toBe(e.data.wamid);
    expect((await r.stores.conversations.get("111:5566"))?.version).toBe(2);
  });

  it("stops idempotently", async () => {
    const r = await setup();
    await Promise.all([r.worker.stop(), r.worker.stop()]);
    await r.worker.stop();
  });
});

describe("router worker with the intent classifier", () => {
  it("lets the classifier move the stage when rules do not decide, and keeps the rules' result on failure", async () => {
    const server = await startOpenAIServer(() => ({ content: '{"intent":"complaint"}' }));
    cleanups.push(() => server.stop());
    const gaFlows = await loadFlowRegistry();
    const classifier = createOpenAIClassifier({
      apiKey: "k",
      baseURL: server.url,
      model: "m",
      timeoutMs: 300,
      log,
    });
    const r = await setup({ flows: gaFlows, classifier });

    await r.bus.publish(textFrom("5577", "my order never arrived!"));
    await r.routedCount(1);
    expect(r.seen.routed()[0]?.data).toMatchObject({
      stageAfter: "support",
      reason: "new conversation; intent → support",
    });
    expect(server.requests).toHaveLength(1);

    // Rules decide (a button id): no model call.
    await r.bus.publish(
      inbound("5577", { type: "interactive", interactive: { kind: "button_reply", id: "support.continue" } }),
    );
    await r.routedCount(2);
    expect(server.requests).toHaveLength(1);

    server.setHandler(() => ({ hang: true }));
    await r.bus.publish(textFrom("5577", "whatever"));
    await r.routedCount(3);
    expect(r.seen.routed()[2]?.data).toMatchObject({
      stageAfter: "chat",
      reason: "no transition matched: stay",
    });
    expect(server.requests).toHaveLength(2);
  });
});
