import { startOpenAIServer } from "@flank/devtools";
import { createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventOf } from "@flank/shared/contract";
import { type FlowRegistry, loadFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIClassifier } from "./classifier.js";
import { handoffConversation, releaseConversation } from "./conversation-ops.js";
import { createHandoffNotifier } from "./handoff-notifier.js";
import { startRouter } from "./index.js";
import type { RouterDeps } from "./router-worker.js";
import { observe, textFrom } from "./test-helpers.js";

const log = createLogger({ level: "silent" });
let shipped: FlowRegistry;
beforeAll(async () => {
  shipped = await loadFlowRegistry();
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A text sent now, so the 24-hour window is open when the notice goes out. */
const say = (user: string, text: string) => textFrom(user, text, { timestamp: new Date().toISOString() });

async function setup(over: Partial<RouterDeps> = {}) {
  const bus = createMemoryBus(log, { partitions: 2, retryBaseDelayMs: 5 });
  const stores = createMemoryStores();
  const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
  const deps: RouterDeps = { bus, stores, flows: shipped, presence, log, ...over };
  const router = await startRouter(deps);
  const seen = await observe(bus, ["outbound.request", "conversation.updated"]);
  cleanups.push(
    () => bus.close(),
    () => seen.close(),
    () => router.stop(),
  );
  const notices = () =>
    seen.events.flatMap((e) => (e.type === "outbound.request" && e.data.source === "system" ? [e] : []));
  const routing = { conversations: stores.conversations, presence, bus, log };
  return { ...deps, bus, stores, presence, seen, notices, routing };
}

const textOf = (e: EventOf<"outbound.request"> | undefined) =>
  e?.data.message.type === "text" ? e.data.message.body : undefined;

describe("handoff notices", () => {
  it("a handoff keyword with nobody online: the user gets the flow's away message", async () => {
    const r = await setup();
    await r.bus.publish(say("5511", "hi"));
    await r.bus.publish(say("5511", "can I talk to a human?"));
    await waitFor(() => r.notices().length === 1, { what: "handoff notice" });
    const notice = r.notices()[0];
    expect(notice).toMatchObject({
      tenant: "111",
      conversationId: "111:5511",
      data: { to: "5511", source: "system" },
    });
    expect(textOf(notice)).toBe(shipped.get("general-assistant")?.awayMessage);
    const handoff = r.seen.updated().find((e) => e.data.change === "handoff");
    expect(notice?.data.idempotencyKey).toBe(`handoff:${handoff?.id}`);
  });

  it("a handoff stage reached by intent, with an agent online: the flow's handoff message", async () => {
    const server = await startOpenAIServer(() => ({ content: '{"intent":"human"}' }));
    cleanups.push(() => server.stop());
    const classifier = createOpenAIClassifier({
      apiKey: "k",
      baseURL: server.url,
      model: "m",
      timeoutMs: 2000,
      log,
    });
    const r = await setup({ classifier });
    await r.presence.heartbeat("ana");
    await r.bus.publish(say("5522", "I would rather speak with someone from your team"));
    await waitFor(() => r.notices().length === 1, { what: "handoff notice" });
    expect(textOf(r.notices()[0])).toBe(shipped.get("general-assistant")?.handoffMessage);
    expect(await r.stores.conversations.get("111:5522")).toMatchObject({
      stage: "handoff",
      route: "agent:ana",
    });
  });

  it("an API handoff notifies too, once, even when its event is delivered again", async () => {
    const r = await setup();
    await r.bus.publish(say("5533", "hi"));
    await waitFor(async () => (await r.stores.conversations.get("111:5533")) !== undefined);
    expect(await handoffConversation(r.routing, "111:5533", "handoff by API")).toMatchObject({ ok: true });
    await waitFor(() => r.notices().length === 1, { what: "handoff notice" });
    const handoff = r.seen.updated().find((e) => e.data.change === "handoff");
    if (!handoff) throw new Error("no handoff event");

    // The same event again (a redelivery), then a new handoff of the same chat: events of one
    // conversation are handled in order, so once the second notice is out the repeat was handled.
    await r.bus.publish(handoff);
    await r.bus.publish(
      createEvent({
        type: "conversation.updated",
        tenant: "111",
        conversationId: "111:5533",
        data: handoff.data,
      }),
    );
    await waitFor(() => r.notices().length >= 2, { what: "the second notice" });
    expect(r.seen.updated().filter((e) => e.id === handoff.id)).toHaveLength(2);
    expect(r.notices().map((n) => n.data.idempotencyKey)).toEqual([
      `handoff:${handoff.id}`,
      expect.not.stringMatching(handoff.id),
    ]);
  });

  it("sends nothing when the chat is back with the bot, or its 24-hour window has closed", async () => {
    const stores = createMemoryStores();
    const bus = createMemoryBus(log, { partitions: 1 });
    const seen = await observe(bus, ["outbound.request"]);
    cleanups.push(
      () => bus.close(),
      () => seen.close(),
    );
    const now = new Date("2026-06-01T12:00:00Z");
    const notifier = createHandoffNotifier({
      bus,
      conversations: stores.conversations,
      flows: shipped,
      presence: createMemoryAgentPresence({ ttlMs: 1000 }),
      log,
      clock: () => now,
    });
    const save = (user: string, route: "bot" | "queue", lastInboundAt: string) =>
      stores.conversations.save(
        { id: `111:${user}`, tenant: "111", user, waId: user, stage: "chat", route, lastInboundAt },
        0,
      );
    await save("released", "bot", now.toISOString());
    await save("old", "queue", "2026-05-30T12:00:00Z");
    await save("fresh", "queue", "2026-06-01T11:00:00Z");
    const handoff = (user: string) =>
      createEvent({
        type: "conversation.updated",
        tenant: "111",
        conversationId: `111:${user}`,
        data: { change: "handoff", route: "queue" },
      });
    await bus.publish([handoff("released"), handoff("old"), handoff("fresh")]);
    await notifier.start();
    cleanups.push(() => notifier.stop());
    await waitFor(() => seen.events.length === 1, { what: "one notice" });
    expect(seen.events[0]).toMatchObject({
      conversationId: "111:fresh",
      data: { message: { body: shipped.default.awayMessage } },
    });
  });

  it("a release is not a handoff: no notice", async () => {
    const r = await setup();
    await r.bus.publish(say("5544", "agent please"));
    await waitFor(() => r.notices().length === 1);
    await releaseConversation(r.routing, "111:5544");
    await waitFor(() => r.seen.updated().some((e) => e.data.change === "released"));
    await r.bus.publish(say("5544", "thanks"));
    await waitFor(() => r.seen.events.filter((e) => e.type === "conversation.updated").length >= 3);
    expect(r.notices()).toHaveLength(1);
  });
});
