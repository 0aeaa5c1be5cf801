import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type MediaStore, MediaTooLargeError } from "./store.js";

const read = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
};

const chunked = (bytes: Buffer, size: number) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    })(),
  );

/** Every MediaStore adapter passes this suite (docs/media.md). */
export function mediaStoreContract(name: string, open: () => Promise<MediaStore>): void {
  describe(`MediaStore contract: ${name}`, () => {
    it("stores a stream and serves it back with its mime type, size and hash", async () => {
      const store = await open();
      const bytes = Buffer.alloc(200_000, 7);
      const meta = await store.put("t1", "m1", chunked(bytes, 10_000), {
        mimeType: "audio/ogg",
        filename: "note.ogg",
        maxBytes: 1_000_000,
      });
      expect(meta).toMatchObject({ mimeType: "audio/ogg", size: 200_000, filename: "note.ogg" });
      expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);
      const got = await store.get("t1", "m1");
      expect(got?.meta).toEqual(meta);
      expect((await read(got?.open() as Readable)).equals(bytes)).toBe(true);
    });

    it("keeps tenants apart, whatever the names hold", async () => {
      const store = await open();
      await store.put("../a", "../../x", Readable.from([Buffer.from("A")]), {
        mimeType: "text/plain",
        maxBytes: 10,
      });
      expect(await store.get("b", "../../x")).toBeUndefined();
      expect(await store.get("../a", "x")).toBeUndefined();
      const got = await store.get("../a", "../../x");
      expect((await read(got?.open() as Readable)).toString()).toBe("A");
    });

    it("refuses a file past maxBytes and keeps nothing of it", async () => {
      const store = await open();
      await expect(
        store.put("t1", "big", chunked(Buffer.alloc(50_000), 1000), {
          mimeType: "image/jpeg",
          maxBytes: 20_000,
        }),
      ).rejects.toBeInstanceOf(MediaTooLargeError);
      expect(await store.get("t1", "big")).toBeUndefined();
    });

    it("a failed source stores nothing", async () => {
      const store = await open();
      const failing = Readable.from(
        (async function* () {
          yield Buffer.from("part");
          throw new Error("connection reset");
        })(),
      );
      await expect(store.put("t1", "cut", failing, { mimeType: "image/png", maxBytes: 100 })).rejects.toThrow(
        "connection reset",
      );
      expect(await store.get("t1", "cut")).toBeUndefined();
    });

    it("deletes, and sweeps what was stored before the cutoff", async () => {
      const store = await open();
      const put = (id: string) =>
        store.put("t2", id, Readable.from([Buffer.from(id)]), { mimeType: "text/plain", maxBytes: 100 });
      await put("a");
      await put("b");
      expect(await store.delete("t2", "a")).toBe(true);
      expect(await store.delete("t2", "a")).toBe(false);
      expect(await store.get("t2", "a")).toBeUndefined();
      expect(await store.sweep(new Date(Date.now() - 3600_000))).toBe(0);
      expect(await store.get("t2", "b")).toBeDefined();
      expect(await store.sweep(new Date(Date.now() + 3600_000))).toBeGreaterThanOrEqual(1);
      expect(await store.get("t2", "b")).toBeUndefined();
    });
  });
}
