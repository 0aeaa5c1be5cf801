import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import { type EventOf, topicChannel } from "@flank/shared/contract";
import { hasBinary, waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "../embedded.js";
import { bareConfig, FAST_STATUSES, launchChromium, silentLog } from "../test-helpers.js";
import { PLAYGROUND_TOKEN_HEADER } from "./guard.js";

// The whole path in one process: the playground sends a voice note as the user (the simulator
// holds the file, the gateway gets a Meta media webhook), the media worker downloads and
// transcribes it before routing, and the bot answers the transcript.
describe("playground: a voice note, transcribed (TRANSCRIBE_MODEL)", () => {
  let ai: OpenAITestServer;
  let flank: Embedded;
  let dir: string;
  let headers: Record<string, string>;
  beforeAll(async () => {
    ai = await startOpenAIServer();
    ai.setTranscriber(() => ({ text: "what are your opening hours" }));
    dir = mkdtempSync(join(tmpdir(), "flank-playground-media-"));
    flank = await startEmbedded(
      bareConfig({
        OPENAI_API_KEY: "sk-test",
        OPENAI_BASE_URL: ai.url,
        TRANSCRIBE_MODEL: "whisper-1",
        MEDIA_DIR: dir,
      }),
      silentLog(),
      { port: 0, statusTiming: FAST_STATUSES },
    );
    headers = { [PLAYGROUND_TOKEN_HEADER]: flank.playgroundUrl?.split("#token=")[1] ?? "" };
  }, 60_000);
  afterAll(async () => {
    await flank?.stop();
    await ai?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores it, routes its transcript, the model reads it, and the playground shows the stored file", async () => {
    const routed: EventOf<"conversation.routed">[] = [];
    await flank.bus.consume({
      topic: "conversation.routed",
      group: "test-routed",
      handler: async (e) => void (e.type === "conversation.routed" && routed.push(e)),
    });
    const voice = Buffer.from("OggS a short voice note");
    const res = await fetch(`${flank.url}/playground/send-media`, {
      method: "POST",
      body: JSON.stringify({
        from: "16505550123",
        name: "Ana",
        mimeType: "audio/ogg",
        data: voice.toString("base64"),
      }),
      headers: { ...headers, "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const { mediaId, wamid } = (await res.json()) as { mediaId: string; wamid: string };

    await waitFor(() => routed.some((e) => e.data.message.wamid === wamid), {
      what: "the voice note routed",
    });
    const message = routed.find((e) => e.data.message.wamid === wamid)?.data.message;
    expect(message).toMatchObject({
      type: "audio",
      transcript: "what are your opening hours",
      media: { id: mediaId, voice: true, stored: { size: voice.length } },
    });
    expect(ai.transcriptions.at(-1)?.bytes.equals(voice)).toBe(true);
    await waitFor(
      () =>
        ai.requests.some((r) =>
          JSON.stringify(r.messages).includes("[voice note] what are your opening hours"),
        ),
      { what: "the model given the transcript", timeoutMs: 15_000 },
    );

    const file = `${flank.url}/playground/media/${mediaId}?from=16505550123`;
    const shown = await fetch(file, { headers });
    expect(shown.headers.get("content-type")).toBe("audio/ogg");
    expect(Buffer.from(await shown.arrayBuffer()).equals(voice)).toBe(true);
    expect((await fetch(file)).status).toBe(401);
    // Only chats this playground opened: another business number is refused.
    expect((await fetch(`${file}&biz=999999999`, { headers })).status).toBe(404);
  }, 30_000);

  it("sends media in the chat of a picked flow, on that flow's own number", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${flank.url}/playground${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { ...headers, "content-type": "application/json" },
      });
    const chat = (await (await post("/chat", { flow: "appointment-booking", fresh: true })).json()) as {
      biz: string;
    };
    const res = await post("/send-media", {
      from: "16505550777",
      biz: chat.biz,
      mimeType: "image/png",
      data: Buffer.from("PNG of the menu").toString("base64"),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ conversationId: `${chat.biz}:16505550777` });
    const refused = await post("/send-media", {
      from: "16505550777",
      biz: "999999999",
      mimeType: "image/png",
      data: Buffer.from("PNG").toString("base64"),
    });
    expect(refused.status).toBe(404);
  });

  it.skipIf(!hasBinary("chromium"))(
    "in Chromium: the attach button sends a voice note, and the stored file and its transcript appear",
    async () => {
      const context = await launchChromium();
      try {
        const page = await context.newPage();
        await page.goto(flank.playgroundUrl ?? "");
        await page.waitForSelector("#send:not([disabled])");
        await page.fill("#from", "16505550456");
        await page.click("#start");
        await page.waitForSelector("#send:not([disabled])");
        // The send's answer is held until the file is stored, so media.stored reaches the page
        // before the bubble knows its wamid: the page must still show the file under it.
        let seen = () => {};
        const stored = new Promise<void>((resolve) => {
          seen = resolve;
        });
        const tap = await flank.bus.tap(topicChannel("media.stored"), () => seen());
        await page.route("**/playground/send-media", async (route) => {
          const answer = await route.fetch();
          await stored;
          await route.fulfill({ response: answer });
        });
        await page.setInputFiles('#composer input[type="file"]', {
          name: "note.ogg",
          mimeType: "audio/ogg",
          buffer: Buffer.from("OggS from the browser"),
        });
        const mine = page.locator(".msg.me").first();
        await mine.locator("audio").waitFor({ timeout: 15_000 });
        expect(await mine.locator(".body").textContent()).toBe("[voice note] note.ogg");
        expect(await mine.locator(".transcript").textContent()).toContain("what are your opening hours");
        await page.locator(".msg.bot").first().waitFor({ timeout: 15_000 });
        await tap.close();
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});

// Without TRANSCRIBE_MODEL or VISION the media step runs after routing, on the router's media.requested.
describe("playground: an image, kept (neither TRANSCRIBE_MODEL nor VISION)", () => {
  let flank: Embedded;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "flank-playground-image-"));
    flank = await startEmbedded(bareConfig({ MEDIA_DIR: dir }), silentLog(), {
      port: 0,
      statusTiming: FAST_STATUSES,
    });
  }, 60_000);
  afterAll(async () => {
    await flank?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("routes it at once, then the router asks for the file and the media worker stores it", async () => {
    const seen: string[] = [];
    for (const topic of ["conversation.routed", "media.requested", "media.stored"] as const)
      await flank.bus.consume({
        topic,
        group: `test-${topic}`,
        handler: async (e) => void seen.push(e.type),
      });
    const token = flank.playgroundUrl?.split("#token=")[1] ?? "";
    const headers = { [PLAYGROUND_TOKEN_HEADER]: token };
    const jpeg = Buffer.from("\xff\xd8 a photo", "latin1");
    const res = await fetch(`${flank.url}/playground/send-media`, {
      method: "POST",
      body: JSON.stringify({ from: "16505550456", mimeType: "image/jpeg", data: jpeg.toString("base64") }),
      headers: { ...headers, "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const { mediaId } = (await res.json()) as { mediaId: string };
    await waitFor(() => seen.includes("media.stored"), { what: "media.stored", timeoutMs: 15_000 });
    expect(seen.filter((t) => t === "media.requested")).toHaveLength(1);
    expect(seen).toContain("conversation.routed");
    expect(seen.indexOf("media.requested")).toBeLessThan(seen.indexOf("media.stored"));
    const shown = await fetch(`${flank.url}/playground/media/${mediaId}?from=16505550456`, { headers });
    expect(Buffer.from(await shown.arrayBuffer()).equals(jpeg)).toBe(true);
  }, 30_000);
});

describe("playground: an image, seen (VISION=true)", () => {
  let ai: OpenAITestServer;
  let flank: Embedded;
  let dir: string;
  beforeAll(async () => {
    ai = await startOpenAIServer();
    dir = mkdtempSync(join(tmpdir(), "flank-playground-vision-"));
    flank = await startEmbedded(
      bareConfig({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: ai.url, VISION: "true", MEDIA_DIR: dir }),
      silentLog(),
      { port: 0, statusTiming: FAST_STATUSES },
    );
  }, 60_000);
  afterAll(async () => {
    await flank?.stop();
    await ai?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the model gets the stored image as an image_url part beside the caption", async () => {
    const token = flank.playgroundUrl?.split("#token=")[1] ?? "";
    const png = Buffer.from("\x89PNG an image", "latin1");
    const res = await fetch(`${flank.url}/playground/send-media`, {
      method: "POST",
      body: JSON.stringify({
        from: "16505550789",
        mimeType: "image/png",
        caption: "is this ok?",
        data: png.toString("base64"),
      }),
      headers: { [PLAYGROUND_TOKEN_HEADER]: token, "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const withImage = () =>
      ai.requests.find((r) =>
        JSON.stringify(r.messages).includes(`data:image/png;base64,${png.toString("base64")}`),
      );
    await waitFor(() => withImage() !== undefined, {
      what: "a model call with the image",
      timeoutMs: 15_000,
    });
    const user = withImage()
      ?.messages.filter((m) => m.role === "user")
      .at(-1);
    expect(user?.content).toEqual([
      { type: "text", text: "is this ok?" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
    ]);
  }, 30_000);
});
