import { CHANNEL_PREFIX, conversationChannel, type FlankEvent, topicChannel } from "@flank/shared";
import { Hono } from "hono";
import { StreamQuery } from "../api-schemas.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { tapStream } from "../sse-tap.js";
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

    return tapStream(c, {
      bus: ctx.bus,
      log: ctx.log,
      pattern,
      wanted,
      ready: { pattern },
      keepAliveMs,
      ...(ctx.shutdown ? { shutdown: ctx.shutdown } : {}),
    });
  });

  return app;
}
