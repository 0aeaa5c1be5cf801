import type { Bus, Subscription } from "@flank/shared/bus";
import type { FlankEvent } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export interface TapStreamOptions {
  bus: Pick<Bus, "tap">;
  log: Logger;
  pattern: string;
  /** Which tapped events to send (default all). */
  wanted?: (event: FlankEvent, channel: string) => boolean;
  /** Sent as the `ready` event once the tap is live. */
  ready: unknown;
  /** Comment lines sent this often keep proxies from closing an idle stream. */
  keepAliveMs: number;
  /** Server shutdown ends open streams too, or the HTTP server would wait for every client. */
  shutdown?: AbortSignal;
  /** Called once when the stream ends, however it ends (gives back a StreamSlots slot). */
  onClose?: () => void;
}

/**
 * A cap on event streams open at once: each holds a socket and a bus tap for as long as the
 * client likes, so without one any client could open thousands.
 */
export class StreamSlots {
  private open = 0;

  constructor(readonly max: number) {}

  /** A slot's release function (idempotent), or undefined when all `max` are taken. */
  take(): (() => void) | undefined {
    if (this.open >= this.max) return undefined;
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
    };
  }

  get inUse(): number {
    return this.open;
  }
}

/**
 * A bus tap as server-sent events (`event: <topic>`, `id`, `data: <event JSON>`), at-most-once
 * like every tap, until the client goes away or the server stops. Used by `GET /v1/stream` and
 * the playground.
 */
export function tapStream(c: Context, opts: TapStreamOptions): Response {
  const { bus, log, pattern, wanted, shutdown } = opts;
  return streamSSE(c, async (stream) => {
    const closed = new Promise<void>((resolve) => {
      stream.onAbort(resolve);
      if (shutdown?.aborted) resolve();
      shutdown?.addEventListener("abort", () => resolve(), { once: true });
    });
    let sub: Subscription;
    try {
      sub = await bus.tap(pattern, async (event, channel) => {
        if (!wanted || wanted(event, channel)) {
          await stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event) });
        }
      });
    } catch (err) {
      log.warn({ err, pattern }, "event stream tap failed");
      opts.onClose?.();
      await stream.writeSSE({ event: "error", data: "event bus unavailable" });
      return;
    }
    const ping = setInterval(() => void stream.write(": ping\n\n").catch(() => undefined), opts.keepAliveMs);
    ping.unref();
    try {
      await stream.writeSSE({ event: "ready", data: JSON.stringify(opts.ready) });
      await closed;
    } finally {
      clearInterval(ping);
      opts.onClose?.();
      await sub.close().catch(() => undefined);
    }
  });
}
