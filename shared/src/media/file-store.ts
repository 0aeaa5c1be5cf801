import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { meter } from "./metered.js";
import type { MediaMeta, MediaPut, MediaStore, StoredFile } from "./store.js";

/** Tenant and id as file names: base64url has no `/`, `.` or `..`, whatever Meta or a tenant sends. */
const safe = (prefix: string, name: string) => `${prefix}${Buffer.from(name, "utf8").toString("base64url")}`;
const TMP = ".tmp";

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/**
 * The default media store: one directory per tenant under MEDIA_DIR, a file's bytes in `<id>.bin`
 * and its meta in `<id>.json`. Bytes are streamed to a temporary file and renamed, then the meta
 * is written the same way: a file is served only once its meta exists, so a reader never sees a
 * partial file and a crash mid-write leaves only a temporary file, which the sweep removes.
 */
export class FileMediaStore implements MediaStore {
  constructor(private readonly dir: string) {}

  private paths(tenant: string, id: string) {
    const folder = join(this.dir, safe("t-", tenant));
    const base = join(folder, safe("m-", id));
    return { folder, bin: `${base}.bin`, json: `${base}.json` };
  }

  async put(tenant: string, id: string, body: AsyncIterable<Uint8Array>, info: MediaPut): Promise<MediaMeta> {
    const p = this.paths(tenant, id);
    await mkdir(p.folder, { recursive: true });
    const suffix = `.${randomBytes(6).toString("hex")}${TMP}`;
    const tmpBin = `${p.bin}${suffix}`;
    const m = meter(info.maxBytes);
    try {
      await pipeline(body, m.pass, createWriteStream(tmpBin));
    } catch (err) {
      await rm(tmpBin, { force: true });
      throw err;
    }
    const meta: MediaMeta = {
      mimeType: info.mimeType,
      size: m.meter.size,
      sha256: m.meter.digest(),
      storedAt: new Date().toISOString(),
      ...(info.filename ? { filename: info.filename } : {}),
    };
    // The meta goes last: until it is renamed into place, `get` answers undefined.
    await rm(p.json, { force: true });
    await rename(tmpBin, p.bin);
    const tmpJson = `${p.json}${suffix}`;
    await writeFile(tmpJson, JSON.stringify(meta));
    await rename(tmpJson, p.json);
    return meta;
  }

  async get(tenant: string, id: string): Promise<StoredFile | undefined> {
    const p = this.paths(tenant, id);
    let meta: MediaMeta;
    try {
      meta = JSON.parse(await readFile(p.json, "utf8")) as MediaMeta;
      await stat(p.bin);
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
    return { meta, open: () => createReadStream(p.bin, { highWaterMark: 64 * 1024 }) };
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const p = this.paths(tenant, id);
    const had = await stat(p.json).then(
      () => true,
      (err: unknown) => (missing(err) ? false : Promise.reject(err)),
    );
    await rm(p.json, { force: true });
    await rm(p.bin, { force: true });
    return had;
  }

  async sweep(cutoff: Date): Promise<number> {
    const before = cutoff.getTime();
    let removed = 0;
    const tenants = await readdir(this.dir).catch((err: unknown) =>
      missing(err) ? [] : Promise.reject(err),
    );
    for (const tenantDir of tenants) {
      const folder = join(this.dir, tenantDir);
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names) {
        const path = join(folder, name);
        const isMeta = name.endsWith(".json");
        const isTmp = name.endsWith(TMP);
        if (!isMeta && !isTmp) continue;
        const info = await stat(path).catch(() => undefined);
        if (!info || info.mtimeMs >= before) continue;
        if (isTmp) {
          await rm(path, { force: true });
          continue;
        }
        // The meta first: from then on the file is no longer served.
        await rm(path, { force: true });
        await rm(`${path.slice(0, -".json".length)}.bin`, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
