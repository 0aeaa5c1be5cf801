import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { startRedirectServers } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { multipartBody, parseMultipart } from "./multipart.js";
import { readText, streamRequest } from "./stream-request.js";

let hanging: Server;
let hangingUrl: string;
beforeAll(async () => {
  hanging = createServer((req) => req.resume());
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      hanging.closeAllConnections();
      hanging.close(() => r());
    }),
);
afterEach(() => {
  vi.useRealTimers();
});

const collect = async (body: AsyncIterable<Uint8Array>) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
};

describe("streamRequest", () => {
  it("answers a 3xx as it is: the credential never reaches the other origin", async () => {
    const servers = await startRedirectServers(307);
    try {
      const answer = await streamRequest(`${servers.redirector}/file`, {
        method: "GET",
        headers: { authorization: "Bearer secret" },
        timeoutMs: 5000,
      });
      await readText(answer, 1024);
      expect(answer.status).toBe(307);
      expect(servers.seen).toEqual([]);
    } finally {
      await servers.stop();
    }
  });

  it("refuses a URL that is not http(s)", async () => {
    await expect(
      streamRequest("file:///etc/passwd", { method: "GET", headers: {}, timeoutMs: 100 }),
    ).rejects.toThrow("unsupported URL scheme");
  });

  it("gives up at the deadline when no answer comes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const call = streamRequest(hangingUrl, { method: "GET", headers: {}, timeoutMs: 30_000 });
    const failed = expect(call).rejects.toMatchObject({ name: "TimeoutError" });
    await vi.advanceTimersByTimeAsync(30_001);
    await failed;
  });
});

describe("multipart", () => {
  it("streams fields and a file part that parse back byte for byte", async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45, 200]);
    const form = multipartBody([
      { name: "model", value: "whisper-1" },
      {
        name: "file",
        filename: 'a"b.ogg',
        contentType: "audio/ogg",
        body: Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]),
      },
    ]);
    const parsed = parseMultipart(await collect(form.body), form.contentType);
    expect(parsed.fields).toEqual({ model: "whisper-1" });
    expect(parsed.file).toMatchObject({ name: "file", filename: "a_b.ogg", contentType: "audio/ogg" });
    expect(parsed.file?.bytes.equals(bytes)).toBe(true);
  });
});
