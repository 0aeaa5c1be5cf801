import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  captureLog,
  type GraphTestServer,
  type OpenAITestServer,
  startGraphServer,
  startOpenAIServer,
} from "@flank/devtools";
import { type Bus, createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventOf, type FlankEvent, type InboundMessageData } from "@flank/shared/contract";
import { streamRequest } from "@flank/shared/http";
import { FileMediaStore, type MediaStore, MemoryMediaStore, mediaRequestOf } from "@flank/shared/media";
import { type RedirectServers, startRedirectServers, waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { OpenStream } from "./media-download.js";
import { MediaWorker } from "./media-worker.js";
import { createTranscriber } from "./transcriber.js";

const PNID = "1065550001";
const TOKEN = "media-test-token";
const MB = 1024 * 1024;

let sim: GraphTestServer;
let ai: OpenAITestServer;
let redirects: RedirectServers;
let dir: string;
beforeAll(async () => {
  sim = await startGraphServer({ token: TOKEN });
  ai = await startOpenAIServer();
  redirects = await startRedirectServers(302);
  dir = await mkdtemp(join(tmpdir(), "flank-media-worker-"));
});
afterAll(async () => {
  await sim.stop();
  await ai.stop();
  await redirects.stop();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const inbound = (
  user: string,
  data: Partial<InboundMessageData> & Pick<InboundMessageData, "type">,
): EventOf<"inbound.message"> =>
  createEvent({
    type: "inbound.message",
    tenant: PNID,
    conversationId: `${PNID}:${user}`,
    data: {
      wamid: `wamid.${++seq}`,
      phoneNumberId: PNID,
      from: user,
      timestamp: "2026-03-01T10:00:00.000Z",
      raw: {},
      ...data,
    },
  });
const audio = (user: string, id: string) =>
  inbound(user, { type: "audio", media: { id, mimeType: "audio/ogg", voice: true } });

interface Harness {
  bus: Bus;
  /**
   * Publishes inbound messages the way they reach the worker: as themselves before routing, else
   * as the router's `media.requested` (router-worker.ts).
   */
  send(events: EventOf<"inbound.message"> | EventOf<"inbound.message">[]): Promise<unknown>;
  store: MediaStore;
  worker: MediaWorker;
  /** media.stored, inbound.understood and dlq events, in the order they came. */
  seen: FlankEvent[];
  /** The topics the worker consumes. */
  topics: string[];
  of<T extends FlankEvent["type"]>(type: T): EventOf<T>[];
}
const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.worker.stop(1000);
    await h.bus.close();
  }
  sim.reset();
});

async function harness(
  opts: {
    beforeRouting?: boolean;
    store?: MediaStore;
    open?: OpenStream;
    transcribe?: boolean;
    partitions?: number;
  } = {},
): Promise<Harness> {
  const { log } = captureLog("error");
  const bus = createMemoryBus(log, {
    partitions: opts.partitions ?? 4,
    maxAttempts: 3,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
  });
  const store = opts.store ?? new MemoryMediaStore();
  const worker = new MediaWorker({
    bus,
    store,
    tenants: async (id) => (id === PNID ? { accessToken: TOKEN } : undefined),
    graphBase: sim.base,
    timeoutMs: 5000,
    beforeRouting: opts.beforeRouting ?? false,
    maxAttempts: 3,
    log,
    ...(opts.open ? { open: opts.open } : {}),
    ...(opts.transcribe
      ? {
          transcriber: createTranscriber({
            baseUrl: ai.url,
            apiKey: "sk-test",
            model: "whisper-1",
            timeoutMs: 5000,
          }),
        }
      : {}),
  });
  const topics: string[] = [];
  const consume = bus.consume.bind(bus);
  bus.consume = (o) => {
    topics.push(o.topic);
    return consume(o);
  };
  await worker.start();
  bus.consume = consume;
  const seen: FlankEvent[] = [];
  for (const topic of ["media.stored", "inbound.understood", "dlq"] as const) {
    await bus.consume({ topic, group: `test-${topic}`, handler: async (e) => void seen.push(e) });
  }
  const h: Harness = {
    bus,
    send: (events) =>
      bus.publish(
        [events]
          .flat()
          .flatMap((e): FlankEvent | FlankEvent[] =>
            opts.beforeRouting ? [e] : (mediaRequestOf(e.tenant, e.conversationId, e.data) ?? []),
          ),
      ),
    store,
    worker,
    seen,
    topics,
    of: <T extends FlankEvent["type"]>(type: T) => seen.filter((e): e is EventOf<T> => e.type === type),
  };
  running.push(h);
  return h;
}

describe("media worker: download off the webhook path", () => {
  it("downloads a voice note through Graph (lookup, then the URL with the token), stores it and publishes media.stored", async () => {
    const bytes = Buffer.from("OggS fake opus voice note");
    sim.addMedia("m-voice", { bytes, mime_type: "audio/ogg; codecs=opus" });
    const h = await harness();
    await h.send(audio("15550000001", "m-voice"));
    await waitFor(() => h.of("media.stored").length === 1, { what: "media.stored" });

    const [stored] = h.of("media.stored");
    expect(stored?.data).toMatchObject({
      mediaId: "m-voice",
      type: "audio",
      mimeType: "audio/ogg",
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    expect(stored?.conversationId).toBe(`${PNID}:15550000001`);
    const file = await h.store.get(PNID, "m-voice");
    const chunks: Buffer[] = [];
    for await (const c of file?.open() ?? []) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    // Both Graph calls carried the number's token: the lookup and the download URL it returned.
    const paths = sim.requests.map((r) => [r.path, r.headers.authorization]);
    expect(paths).toEqual([
      ["/v25.0/m-voice", `Bearer ${TOKEN}`],
      ["/media-download/m-voice", `Bearer ${TOKEN}`],
    ]);
  });

  it("retries a failed download through the bus's redelivery, then stores it", async () => {
    sim.addMedia("m-retry", { bytes: Buffer.from("img"), mime_type: "image/jpeg" });
    sim.script({ kind: "raw", status: 502 });
    const h = await harness();
    await h.send(inbound("15550000002", { type: "image", media: { id: "m-retry" } }));
    await waitFor(() => h.of("media.stored").length === 1, { what: "media.stored after a retry" });
    expect(sim.requests.filter((r) => r.path === "/v25.0/m-retry")).toHaveLength(2);
    expect(h.of("dlq")).toHaveLength(0);
  });

  it("never sends the token past a redirect of the media URL", async () => {
    sim.addMedia("m-redirect", { url: `${redirects.redirector}/file`, mime_type: "image/png" });
    const h = await harness();
    await h.send(inbound("15550000003", { type: "image", media: { id: "m-redirect" } }));
    await waitFor(() => h.of("dlq").length === 1, { what: "dead letter" });
    expect(redirects.seen).toEqual([]);
    expect(await h.store.get(PNID, "m-redirect")).toBeUndefined();
    expect(h.of("media.stored")).toHaveLength(0);
  });

  it("stops at Meta's limit for the type, whatever the lookup claimed, and keeps nothing", async () => {
    sim.addMedia("m-big-image", {
      bytes: Buffer.alloc(5 * MB + 1, 1),
      file_size: 1000,
      mime_type: "image/jpeg",
    });
    const h = await harness();
    await h.send(inbound("15550000004", { type: "image", media: { id: "m-big-image" } }));
    await waitFor(() => h.of("dlq").length === 1, { what: "dead letter" });
    expect(h.of("dlq")[0]?.data.error).toContain("larger than");
    expect(await h.store.get(PNID, "m-big-image")).toBeUndefined();
    // Refused for good (not retried): one download only.
    expect(sim.requests.filter((r) => r.path === "/media-download/m-big-image")).toHaveLength(1);
  });
});

describe("media worker: under load", () => {
  it("a slow 16 MB download does not hold another conversation's media", async () => {
    sim.addMedia("m-slow", { bytes: Buffer.alloc(16 * MB, 2), mime_type: "video/mp4" });
    sim.addMedia("m-quick", { bytes: Buffer.from("quick"), mime_type: "image/jpeg" });
    // The slow file's bytes are held back after the first chunk until the test lets them go.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const open: OpenStream = async (url, init) => {
      const answer = await streamRequest(url, init);
      if (!url.endsWith("/media-download/m-slow")) return answer;
      const held = new PassThrough();
      void (async () => {
        let first = true;
        for await (const chunk of answer.body) {
          held.write(chunk);
          if (first) await gate;
          first = false;
        }
        held.end();
      })();
      return { ...answer, body: held as unknown as IncomingMessage };
    };
    // One partition, so the two conversations share it (any two conversations may).
    const h = await harness({ open, partitions: 1 });
    await h.send(inbound("15550000010", { type: "video", media: { id: "m-slow" } }));
    await waitFor(() => sim.requests.some((r) => r.path === "/media-download/m-slow"), {
      what: "slow download",
    });
    await h.send(inbound("15550000011", { type: "image", media: { id: "m-quick" } }));

    await waitFor(() => h.of("media.stored").length === 1, { what: "the quick media" });
    expect(h.of("media.stored").map((e) => e.data.mediaId)).toEqual(["m-quick"]);
    release();
    await waitFor(() => h.of("media.stored").length === 2, { what: "the slow media" });
    expect(h.of("media.stored")[1]?.data).toMatchObject({ mediaId: "m-slow", size: 16 * MB });
  });

  it("streams 16 MB to the store in small chunks, never as one buffer", async () => {
    const bytes = Buffer.alloc(16 * MB, 3);
    sim.addMedia("m-16mb", { bytes, mime_type: "audio/mpeg" });
    const files = new FileMediaStore(dir);
    const sizes: number[] = [];
    const spying: MediaStore = {
      ...files,
      get: (t, id) => files.get(t, id),
      delete: (t, id) => files.delete(t, id),
      sweep: (c) => files.sweep(c),
      put: (tenant, id, body, info) =>
        files.put(
          tenant,
          id,
          (async function* () {
            for await (const chunk of body) {
              sizes.push(chunk.byteLength);
              yield chunk;
            }
          })(),
          info,
        ),
    };
    const h = await harness({ store: spying });
    await h.send(audio("15550000012", "m-16mb"));
    await waitFor(() => h.of("media.stored").length === 1, { what: "media.stored", timeoutMs: 20_000 });
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(16 * MB);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    expect(sizes.length).toBeGreaterThan(200);
    expect((await files.get(PNID, "m-16mb"))?.meta.size).toBe(16 * MB);
  });
});

describe("media worker: before routing (TRANSCRIBE_MODEL or VISION)", () => {
  it("passes every message on in order, a voice note with its transcript", async () => {
    const bytes = Buffer.from("a voice note's opus bytes");
    sim.addMedia("m-say", { bytes, mime_type: "audio/ogg" });
    ai.setTranscriber((r) => ({ text: ` I want the price list (${r.model}, ${r.bytes.length} bytes) ` }));
    const h = await harness({ beforeRouting: true, transcribe: true });
    const voice = audio("15550000020", "m-say");
    const text = inbound("15550000020", { type: "text", text: "and quickly" });
    await h.send([voice, text]);
    await waitFor(() => h.of("inbound.understood").length === 2, { what: "two understood messages" });
    expect(h.topics).toEqual(["inbound.message"]);

    const [first, second] = h.of("inbound.understood");
    expect(first?.data).toMatchObject({
      wamid: voice.data.wamid,
      transcript: `I want the price list (whisper-1, ${bytes.length} bytes)`,
      media: { id: "m-say", stored: { mimeType: "audio/ogg", size: bytes.length } },
    });
    expect(second?.data).toMatchObject({ wamid: text.data.wamid, text: "and quickly" });
    expect(h.of("media.stored")[0]?.data.transcript).toBe(first?.data.transcript);
    const sent = ai.transcriptions.at(-1);
    expect(sent?.bytes.equals(bytes)).toBe(true);
    expect(sent).toMatchObject({
      model: "whisper-1",
      contentType: "audio/ogg",
      authorization: "Bearer sk-test",
    });
  });

  it("a transcription refused for good still stores the file and passes the message on, without words", async () => {
    sim.addMedia("m-mumble", { bytes: Buffer.from("noise"), mime_type: "audio/ogg" });
    ai.setTranscriber(() => ({ status: 400 }));
    const h = await harness({ beforeRouting: true, transcribe: true });
    const note = audio("15550000023", "m-mumble");
    await h.send(note);
    await waitFor(() => h.of("inbound.understood").length === 1, { what: "the message passed on" });
    expect(h.of("inbound.understood")[0]?.data).toMatchObject({ media: { stored: { size: 5 } } });
    expect(h.of("inbound.understood")[0]?.data.transcript).toBeUndefined();
    expect(h.of("media.stored")[0]?.data).toMatchObject({ mediaId: "m-mumble", size: 5 });
    expect(h.of("media.stored")[0]?.data.transcript).toBeUndefined();
    expect(ai.transcriptions.filter((t) => t.bytes.toString() === "noise")).toHaveLength(1);
  });

  it("retries a transcription that failed for now", async () => {
    sim.addMedia("m-later", { bytes: Buffer.from("later"), mime_type: "audio/ogg" });
    let calls = 0;
    ai.setTranscriber(() => (++calls === 1 ? { status: 503 } : { text: "second time lucky" }));
    const h = await harness({ beforeRouting: true, transcribe: true });
    await h.send(audio("15550000024", "m-later"));
    await waitFor(() => h.of("inbound.understood").length === 1, { what: "the message passed on" });
    expect(h.of("inbound.understood")[0]?.data.transcript).toBe("second time lucky");
    // Downloaded once: the retry found the file stored.
    expect(sim.requests.filter((r) => r.path === "/media-download/m-later")).toHaveLength(1);
  });

  it("passes a message on without its media when the media cannot be had", async () => {
    const h = await harness({ beforeRouting: true, transcribe: true });
    const lost = audio("15550000021", "m-unknown");
    await h.send(lost);
    await waitFor(() => h.of("inbound.understood").length === 1, { what: "the message passed on" });
    expect(h.of("inbound.understood")[0]?.data).toMatchObject({ wamid: lost.data.wamid });
    expect(h.of("inbound.understood")[0]?.data.transcript).toBeUndefined();
    expect(h.of("media.stored")).toHaveLength(0);
    expect(h.of("dlq")).toHaveLength(0);
  });

  it("reads the router's media.requested after routing, not every inbound message", async () => {
    sim.addMedia("m-routed", { bytes: Buffer.from("jpeg"), mime_type: "image/jpeg" });
    sim.addMedia("m-unrouted", { bytes: Buffer.from("jpeg"), mime_type: "image/jpeg" });
    const h = await harness();
    await h.bus.publish(inbound("15550000025", { type: "image", media: { id: "m-unrouted" } }));
    await h.send(inbound("15550000025", { type: "image", media: { id: "m-routed" } }));
    await waitFor(() => h.of("media.stored").length === 1, { what: "media.stored" });
    expect(h.topics).toEqual(["media.requested"]);
    expect(h.of("media.stored").map((e) => e.data.mediaId)).toEqual(["m-routed"]);
    // The image published on inbound.message went first; a worker reading that topic asks Graph for it too.
    expect(sim.requests.some((r) => r.path.includes("m-unrouted"))).toBe(false);
    expect(await h.store.get(PNID, "m-unrouted")).toBeUndefined();
  });

  it("publishes nothing for the router when the pipeline is off", async () => {
    sim.addMedia("m-off", { bytes: Buffer.from("x"), mime_type: "image/jpeg" });
    const h = await harness();
    await h.send([
      inbound("15550000022", { type: "text", text: "hi" }),
      inbound("15550000022", { type: "image", media: { id: "m-off" } }),
    ]);
    await waitFor(() => h.of("media.stored").length === 1, { what: "media.stored" });
    expect(h.of("inbound.understood")).toHaveLength(0);
  });
});
