import { normalizeWebhook } from "@flank/shared/whatsapp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphTestServer, startGraphServer } from "./graph-server.js";
import { inboundMediaWebhook } from "./meta-payloads.js";

const TOKEN = "sim-media-token";
let sim: GraphTestServer;
beforeAll(async () => {
  sim = await startGraphServer({ token: TOKEN });
});
afterAll(() => sim.stop());

describe("the simulator's media, as Meta serves it", () => {
  it("a voice note webhook names a media id the Graph API then answers with a URL, and the URL serves the bytes with the token only", async () => {
    const bytes = Buffer.from("OggS voice");
    sim.addMedia("4490709327384033", { bytes, mime_type: "audio/ogg; codecs=opus" });
    const { payload } = inboundMediaWebhook({
      phoneNumberId: "106540352242922",
      from: "16505551234",
      type: "audio",
      mediaId: "4490709327384033",
      mimeType: "audio/ogg; codecs=opus",
      voice: true,
    });
    const [event] = normalizeWebhook(payload).events;
    expect(event?.type === "inbound.message" && event.data).toMatchObject({
      type: "audio",
      media: { id: "4490709327384033", mimeType: "audio/ogg; codecs=opus", voice: true },
    });

    const auth = { authorization: `Bearer ${TOKEN}` };
    const info = (await (await fetch(`${sim.base}/4490709327384033`, { headers: auth })).json()) as Record<
      string,
      unknown
    >;
    expect(info).toMatchObject({
      messaging_product: "whatsapp",
      id: "4490709327384033",
      mime_type: "audio/ogg; codecs=opus",
      file_size: bytes.length,
    });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetch(String(info.url))).status).toBe(401);
    const file = await fetch(String(info.url), { headers: auth });
    expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("an image webhook carries its caption", () => {
    const { payload } = inboundMediaWebhook({
      phoneNumberId: "106540352242922",
      from: "16505551234",
      type: "image",
      mediaId: "m1",
      mimeType: "image/jpeg",
      caption: "my receipt",
    });
    const [event] = normalizeWebhook(payload).events;
    expect(event?.type === "inbound.message" && event.data).toMatchObject({
      type: "image",
      text: "my receipt",
    });
  });
});
