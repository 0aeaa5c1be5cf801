import type { Logger } from "../log/index.js";
import type { MediaStore } from "./store.js";

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

/**
 * Removes media stored more than `retentionDays` ago: once at start, then every hour. Meta's own
 * copy expires after 7 days; ours is kept for MEDIA_RETENTION_DAYS (docs/media.md). Returns a stop.
 */
export function startMediaSweeper(opts: {
  store: MediaStore;
  retentionDays: number;
  log: Logger;
  clock?: () => Date;
  everyMs?: number;
}): () => void {
  const clock = opts.clock ?? (() => new Date());
  let busy = false;
  const sweep = () => {
    // A sweep still running (a large directory) is not started again.
    if (busy) return;
    busy = true;
    void opts.store
      .sweep(new Date(clock().getTime() - opts.retentionDays * DAY_MS))
      .then((removed) => {
        if (removed > 0) opts.log.info({ removed, retentionDays: opts.retentionDays }, "old media removed");
      })
      .catch((err: unknown) => opts.log.warn({ err }, "media sweep failed"))
      .finally(() => {
        busy = false;
      });
  };
  sweep();
  const timer = setInterval(sweep, opts.everyMs ?? HOUR_MS);
  timer.unref();
  return () => clearInterval(timer);
}
