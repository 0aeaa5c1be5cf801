import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FileMediaStore } from "./file-store.js";
import { MemoryMediaStore } from "./memory-store.js";
import { mediaStoreContract } from "./store.contract.js";
import { startMediaSweeper } from "./sweeper.js";

const dirs: string[] = [];
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "flank-media-"));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

mediaStoreContract("filesystem", async () => new FileMediaStore(await freshDir()));
mediaStoreContract("memory", async () => new MemoryMediaStore());

describe("FileMediaStore", () => {
  it("sweeps by the age of the file on disk, and removes old partial writes", async () => {
    const dir = await freshDir();
    const store = new FileMediaStore(dir);
    await store.put("t", "old", Readable.from([Buffer.from("x")]), { mimeType: "image/png", maxBytes: 10 });
    await store.put("t", "new", Readable.from([Buffer.from("y")]), { mimeType: "image/png", maxBytes: 10 });
    const [folder] = await readdir(dir);
    const tenantDir = join(dir, folder as string);
    const longAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    const names = await readdir(tenantDir);
    const oldMeta = names.find(
      (n) => n.endsWith(".json") && n.startsWith(`m-${Buffer.from("old").toString("base64url")}`),
    );
    await utimes(join(tenantDir, oldMeta as string), longAgo, longAgo);
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(tenantDir, "m-x.bin.abc.tmp"), "partial");
    await utimes(join(tenantDir, "m-x.bin.abc.tmp"), longAgo, longAgo);

    expect(await store.sweep(new Date(Date.now() - 30 * 24 * 3600_000))).toBe(1);
    expect(await store.get("t", "old")).toBeUndefined();
    expect(await store.get("t", "new")).toBeDefined();
    expect((await readdir(tenantDir)).sort()).toEqual(
      names.filter((n) => !n.startsWith(`m-${Buffer.from("old").toString("base64url")}`)).sort(),
    );
  });
});

describe("startMediaSweeper", () => {
  it("sweeps MEDIA_RETENTION_DAYS back at start and every hour", async () => {
    vi.useFakeTimers();
    try {
      const now = new Date("2026-03-10T00:00:00Z");
      const cutoffs: string[] = [];
      const store = new MemoryMediaStore();
      store.sweep = async (cutoff) => {
        cutoffs.push(cutoff.toISOString());
        return 0;
      };
      const stop = startMediaSweeper({
        store,
        retentionDays: 30,
        log: pino({ level: "silent" }),
        clock: () => now,
      });
      await vi.advanceTimersByTimeAsync(3600_000);
      stop();
      await vi.advanceTimersByTimeAsync(3 * 3600_000);
      expect(cutoffs).toEqual(["2026-02-08T00:00:00.000Z", "2026-02-08T00:00:00.000Z"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
