import { Readable } from "node:stream";
import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import type { InboundMessageData } from "@flank/shared/contract";
import { MemoryMediaStore } from "@flank/shared/media";
import { waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBotHarness, TENANT } from "./bot.harness.js";
import { createOpenAIModel } from "./openai-composer.js";
import { imagesFrom } from "./vision.js";

let ai: OpenAITestServer;
beforeAll(async () => {
  ai = await startOpenAIServer();
});
afterAll(() => ai.stop());

let h: Awaited<ReturnType<typeof startBotHarness>> | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const model = () =>
  createOpenAIModel({
    apiKey: "sk-test",
    baseUrl: ai.url,
    model: "m",
    temperature: 0,
    maxTokens: 50,
    timeoutMs: 5000,
    maxRetries: 0,
  });

const PNG = Buffer.from("\x89PNG fake image bytes", "latin1");
const storeWithImage = async () => {
  const store = new MemoryMediaStore();
  await store.put(TENANT, "m-img", Readable.from([PNG]), { mimeType: "image/png", maxBytes: 1024 });
  return store;
};

/** The user content of the model's last call. */
const lastUser = () => {
  const messages = ai.requests.at(-1)?.messages ?? [];
  return messages.filter((m) => m.role === "user").at(-1)?.content;
};

async function send(message: Partial<InboundMessageData>): Promise<void> {
  const harness = h as NonNullable<typeof h>;
  const event = harness.routed(message.text ?? "");
  event.data.message = { ...event.data.message, ...message };
  const before = ai.requests.length;
  await harness.bus.publish(event);
  await waitFor(() => ai.requests.length > before, { what: "a model call" });
}

describe("understanding media in the bot's prompt", () => {
  it("VISION: a stored image reaches the model as an image_url part beside its caption", async () => {
    h = await startBotHarness({ model: model(), images: imagesFrom(await storeWithImage()) });
    await send({ type: "image", text: "what is this?", media: { id: "m-img", mimeType: "image/png" } });
    expect(lastUser()).toEqual([
      { type: "text", text: "what is this?" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
    ]);
  });

  it("without VISION the caption alone goes, as text", async () => {
    h = await startBotHarness({ model: model() });
    await send({ type: "image", text: "what is this?", media: { id: "m-img", mimeType: "image/png" } });
    expect(lastUser()).toBe("what is this?");
  });

  it("a voice note's transcript is what the model reads", async () => {
    h = await startBotHarness({ model: model() });
    await send({
      type: "audio",
      media: { id: "m-voice", voice: true },
      transcript: "do you have pizza tonight",
    });
    expect(lastUser()).toBe("[voice note] do you have pizza tonight");
  });

  it("an image past the bound, or not stored, is left out (its caption still goes)", async () => {
    const images = imagesFrom(await storeWithImage(), 4);
    const image = { type: "image", media: { id: "m-img" } } as InboundMessageData;
    expect(await images(TENANT, image)).toBeUndefined();
    expect(await imagesFrom(await storeWithImage())("another-tenant", image)).toBeUndefined();
    expect(await imagesFrom(await storeWithImage())(TENANT, image)).toMatch(/^data:image\/png;base64,/);
  });
});
