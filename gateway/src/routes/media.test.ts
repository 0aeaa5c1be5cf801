import { Readable } from "node:stream";
import { type GraphTestServer, startGraphServer } from "@flank/devtools";
import { MemoryMediaStore } from "@flank/shared/media";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApi } from "../openapi.js";
import { AUTH, makeApp, PNID } from "../test-harness.js";

const TOKEN = "EAAG-media-route-token";
let sim: GraphTestServer;
beforeAll(async () => {
  sim = await startGraphServer({ token: TOKEN });
});
afterAll(() => sim.stop());

const OTHER = "109990000000001";

async function withStoredMedia() {
  const mediaStore = new MemoryMediaStore();
  await mediaStore.put(PNID, "m-photo", Readable.from([Buffer.from("jpeg bytes")]), {
    mimeType: "image/jpeg",
    maxBytes: 100,
  });
  await mediaStore.put(OTHER, "m-theirs", Readable.from([Buffer.from("<html>x</html>")]), {
    mimeType: "text/html",
    maxBytes: 100,
  });
  return makeApp({ mediaStore, env: { WHATSAPP_TOKEN: TOKEN, GRAPH_API_BASE: sim.base } });
}

describe("GET /v1/media/{id}", () => {
  it("streams a stored file with its mime type", async () => {
    const { app } = await withStoredMedia();
    const res = await app.request("/v1/media/m-photo", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("content-length")).toBe("10");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe("jpeg bytes");
  });

  it("is scoped to one business number: another number's file is a 404", async () => {
    const { app } = await withStoredMedia();
    expect((await app.request("/v1/media/m-theirs", { headers: AUTH })).status).toBe(404);
    expect((await app.request(`/v1/media/m-photo?phoneNumberId=${OTHER}`, { headers: AUTH })).status).toBe(
      404,
    );
    const theirs = await app.request(`/v1/media/m-theirs?phoneNumberId=${OTHER}`, { headers: AUTH });
    expect(theirs.status).toBe(200);
    // Not an image, audio or video: a download, never rendered as a page of the gateway's origin.
    expect(theirs.headers.get("content-disposition")).toMatch(/^attachment/);
  });

  it("needs a key", async () => {
    const { app } = await withStoredMedia();
    expect((await app.request("/v1/media/m-photo")).status).toBe(401);
  });
});

describe("POST /v1/media", () => {
  it("uploads a multipart file to the Graph API and answers its media id, which Graph then serves", async () => {
    const { app } = await withStoredMedia();
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("PNG image bytes")], { type: "image/png" }), "pic.png");
    const res = await app.request("/v1/media", { method: "POST", body: form, headers: AUTH });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^\d+$/);
    const upload = sim.requests.find((r) => r.path === `/v25.0/${PNID}/media`);
    expect(upload?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(upload?.body).toMatchObject({
      messaging_product: "whatsapp",
      type: "image/png",
      file: { filename: "pic.png", contentType: "image/png", size: 15 },
    });
    const lookup = await fetch(`${sim.base}/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await lookup.json()).toMatchObject({ id, mime_type: "image/png", file_size: 15 });
  });

  it("streams a raw body with its Content-Type", async () => {
    const { app } = await withStoredMedia();
    const res = await app.request("/v1/media?filename=note.ogg", {
      method: "POST",
      body: Buffer.from("OggS voice"),
      headers: { ...AUTH, "content-type": "audio/ogg" },
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    const lookup = await fetch(`${sim.base}/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await lookup.json()).toMatchObject({ mime_type: "audio/ogg", file_size: 10 });
  });

  it("refuses a file past Meta's limit for its type", async () => {
    const { app } = await withStoredMedia();
    const res = await app.request("/v1/media", {
      method: "POST",
      body: Buffer.alloc(5 * 1024 * 1024 + 1),
      headers: { ...AUTH, "content-type": "image/jpeg" },
    });
    expect(res.status).toBe(413);
  });

  it("answers 404 for a number without an enabled integration", async () => {
    const { app } = await withStoredMedia();
    const res = await app.request(`/v1/media?phoneNumberId=${OTHER}`, {
      method: "POST",
      body: Buffer.from("x"),
      headers: { ...AUTH, "content-type": "image/jpeg" },
    });
    expect(res.status).toBe(404);
  });
});

describe("OpenAPI", () => {
  it("documents both media routes with their statuses", () => {
    const paths = buildOpenApi().paths as Record<
      string,
      Record<string, { responses: object; requestBody?: { content: object } }>
    >;
    expect(Object.keys(paths["/v1/media/{id}"]?.get?.responses ?? {})).toEqual(["200", "400", "401", "404"]);
    expect(Object.keys(paths["/v1/media"]?.post?.responses ?? {})).toEqual([
      "200",
      "400",
      "401",
      "404",
      "413",
      "502",
    ]);
    expect(Object.keys(paths["/v1/media"]?.post?.requestBody?.content ?? {})).toEqual([
      "multipart/form-data",
    ]);
  });
});
