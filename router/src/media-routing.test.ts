import { createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventOf } from "@flank/shared/contract";
import { type FlowRegistry, loadFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRouterWorker } from "./router-worker.js";
import { inbound, observe, textFrom } from "./test-helpers.js";
import { messageText } from "./text-match.js";

const log = createLogger({ level: "silent" });
let flows: FlowRegistry;
beforeAll(async () => {
  flows = await loadFlowRegistry({ defaultFlow: "appointment-booking" });
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The media step's output for an inbound message (responder/src/media-worker.ts). */
const understood = (e: EventOf<"inbound.message">): EventOf<"inbound.understood"> =>
  createEvent({
    type: "inbound.understood",
    tenant: e.tenant,
    conversationId: e.conversationId,
    data: e.data,
  });

const voice = (user: string, transcript: string) =>
  inbound(user, {
    type: "audio",
    media: { id: "m-1", mimeType: "audio/ogg", voice: true, stored: { mimeType: "audio/ogg", size: 9 } },
    transcript,
  });

describe("a voice note's transcript is what the rules read (the keyword rule to collect matches it below)", () => {
  it("messageText gives the transcript; a voice note without one has no words", () => {
    expect(messageText(voice("5511", "I'd like to book").data)).toBe("I'd like to book");
    expect(messageText(inbound("5511", { type: "audio", media: { id: "m" } }).data)).toBeUndefined();
  });
});

describe("router after the media step (TRANSCRIBE_MODEL or VISION)", () => {
  it("routes inbound.understood, not inbound.message, and stores the transcript with the message", async () => {
    const bus = createMemoryBus(log, { partitions: 2, retryBaseDelayMs: 5 });
    const stores = createMemoryStores();
    const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
    const worker = createRouterWorker({ bus, stores, flows, presence, log, afterMedia: true });
    await worker.start();
    const seen = await observe(bus, ["conversation.routed"]);
    cleanups.push(
      () => bus.close(),
      () => seen.close(),
      () => worker.stop(),
    );

    const raw = textFrom("5512", "hi");
    const hi = textFrom("5512", "hi");
    const note = voice("5512", "I'd like to book please");
    // What the gateway publishes is not routed: only what the media step passes on.
    await bus.publish(raw);
    await bus.publish([understood(hi), understood(note)]);
    await waitFor(() => seen.routed().length >= 2, { what: "two routed" });

    expect(seen.routed().map((e) => [e.data.message.wamid, e.data.stageAfter])).toEqual([
      [hi.data.wamid, "greeting"],
      [note.data.wamid, "collect"],
    ]);
    expect(seen.routed()[1]?.data.message.transcript).toBe("I'd like to book please");
    const stored = await stores.messages.get(note.data.wamid);
    expect(stored).toMatchObject({
      type: "audio",
      transcript: "I'd like to book please",
      media: { id: "m-1", mimeType: "audio/ogg", size: 9 },
    });
    expect(await stores.messages.get(raw.data.wamid)).toBeUndefined();
  });
});

describe("router before the media step (the default)", () => {
  async function routerWith(afterMedia: boolean) {
    const bus = createMemoryBus(log, { partitions: 2, retryBaseDelayMs: 5 });
    const presence = createMemoryAgentPresence({ ttlMs: 60_000 });
    const worker = createRouterWorker({
      bus,
      stores: createMemoryStores(),
      flows,
      presence,
      log,
      afterMedia,
    });
    await worker.start();
    const seen = await observe(bus, ["conversation.routed", "media.requested"]);
    cleanups.push(
      () => bus.close(),
      () => seen.close(),
      () => worker.stop(),
    );
    return { bus, seen };
  }

  it("asks the media step for a media message's file (media.requested, without Meta's object), not for text", async () => {
    const { bus, seen } = await routerWith(false);
    const text = textFrom("5513", "hi");
    const image = inbound("5513", {
      type: "image",
      media: { id: "m-2", mimeType: "image/jpeg" },
      text: "look",
    });
    await bus.publish([text, image]);
    const requested = () => seen.events.flatMap((e) => (e.type === "media.requested" ? [e] : []));
    await waitFor(() => seen.routed().length === 2 && requested().length > 0, {
      what: "routed and requested",
    });
    expect(requested().map((e) => [e.conversationId, e.data.wamid, e.data.media?.id, e.data.raw])).toEqual([
      [image.conversationId, image.data.wamid, "m-2", undefined],
    ]);
  });

  it("asks for nothing when the media step ran before routing", async () => {
    const { bus, seen } = await routerWith(true);
    const image = inbound("5514", { type: "image", media: { id: "m-3", mimeType: "image/jpeg" } });
    await bus.publish(understood(image));
    await waitFor(() => seen.routed().length === 1, { what: "routed" });
    expect(seen.events.map((e) => e.type)).toEqual(["conversation.routed"]);
  });
});
