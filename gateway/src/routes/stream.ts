import {
  CHANNEL_PREFIX,
  conversationChannel,
  type FlankEvent,
  type Subscription,
  topicChannel,
} from "@flank/shared";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { StreamQuery } from "../api-schemas.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { queryOf } from "../validate.js";

export interface StreamOptions {
  /** Comment lines sent this often keep proxies from closing an idle stream. */
  keepAliveMs?: number;
}

/**
 * `GET /v1/stream`: live events as server-sent events, from a bus tap (at-most-once, like every
 * tap). `conversation` taps that conversation's channel; otherwise each event is taken from its
 * topic channel only, so it is sent once. The tap closes when the client goes away.
 */
export function streamRoutes(ctx: GatewayContext, opts: StreamOptions = {}): Hono<GatewayEnv> {
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const app = new Hono<GatewayEnv>();

  app.get("/v1/stream", async (c) => {
    const { topic, conversation } = queryOf(c, StreamQuery);
    const pattern = conversation
      ? conversationChannel(conversation)
      : topic
        ? topicChannel(topic)
        : `${CHANNEL_PREFIX}.>`;
    const wanted = (event: FlankEvent, channel: string) =>
      (!topic || event.type === topic) &&
      (conversation !== undefined || channel === topicChannel(event.type));

    return streamSSE(c, async (stream) => {
      let sub: Subscription | undefined;
      const closed = new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        // Server shutdown ends open streams too, or the HTTP server would wait for every client.
        if (ctx.shutdown?.aborted) resolve();
        ctx.shutdown?.addEventListener("abort", () => resolve(), { once: true });
      });
      try {
        sub = await ctx.bus.tap(pattern, async (event, channel) => {
          if (wanted(event, channel)) {
            await stream.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event) });
          }
        });
      } catch (err) {
        ctx.log.warn({ err, pattern }, "stream tap failed");
        await stream.writeSSE({ event: "error", data: "event bus unavailable" });
        return;
      }
      await stream.writeSSE({ event: "ready", data: JSON.stringify({ pattern }) });
      const ping = setInterval(() => void stream.write(": ping\n\n"), keepAliveMs);
      ping.unref();
      try {
        await closed;
      } finally {
        clearInterval(ping);
        await sub.close().catch(() => undefined);
      }
    });
  });

  return app;
}
