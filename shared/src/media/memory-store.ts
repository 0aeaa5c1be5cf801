import { Readable } from "node:stream";
import { meter } from "./metered.js";
import type { MediaMeta, MediaPut, MediaStore, StoredFile } from "./store.js";

/** A media store in process memory, for tests and STORE=memory runs without MEDIA_DIR. */
export class MemoryMediaStore implements MediaStore {
  private readonly files = new Map<string, { meta: MediaMeta; chunks: Uint8Array[] }>();
  private readonly key = (tenant: string, id: string) => JSON.stringify([tenant, id]);

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async put(tenant: string, id: string, body: AsyncIterable<Uint8Array>, info: MediaPut): Promise<MediaMeta> {
    const m = meter(info.maxBytes);
    const chunks: Uint8Array[] = [];
    for await (const chunk of m.pass(body)) chunks.push(chunk);
    const meta: MediaMeta = {
      mimeType: info.mimeType,
      size: m.meter.size,
      sha256: m.meter.digest(),
      storedAt: this.clock().toISOString(),
      ...(info.filename ? { filename: info.filename } : {}),
    };
    this.files.set(this.key(tenant, id), { meta, chunks });
    return meta;
  }

  async get(tenant: string, id: string): Promise<StoredFile | undefined> {
    const found = this.files.get(this.key(tenant, id));
    return found && { meta: found.meta, open: () => Readable.from(found.chunks) };
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    return this.files.delete(this.key(tenant, id));
  }

  async sweep(cutoff: Date): Promise<number> {
    let removed = 0;
    for (const [key, file] of this.files) {
      if (Date.parse(file.meta.storedAt) < cutoff.getTime()) {
        this.files.delete(key);
        removed++;
      }
    }
    return removed;
  }
}
