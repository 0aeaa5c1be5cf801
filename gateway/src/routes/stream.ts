import { CHANNEL_PREFIX, conversationChannel, type FlankEvent, topicChannel } from "@flank/shared/contract";
import { Hono } from "hono";
import { StreamQuery } from "../api-schemas.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { StreamSlots, tapStream } from "../sse-tap.js";
import { queryOf } from "../validate.js";

export interface StreamOptions {
  /** Comment lines sent this often keep proxies from closing an idle stream. */
  keepAliveMs?: number;
  /** Streams open at once (STREAM_MAX_OPEN by default); past it, 429 with Retry-After. */
  maxOpen?: number;
}

/**
 * `GET /v1/stream`: live events as server-sent events, from a bus tap (at-most-once, like every
 * tap). `conversation` taps that conversation's channel; otherwise each event is taken from its
 * topic channel only, so it is sent once. The tap closes when the client goes away.
 */
export function streamRoutes(ctx: GatewayContext, opts: StreamOptions = {}): Hono<GatewayEnv> {
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const slots = new StreamSlots(opts.maxOpen ?? ctx.config.gateway.streamMaxOpen);
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);

  on("streamEvents", async (c) => {
    const { topic, conversation } = queryOf(c, StreamQuery);
    const pattern = conversation
      ? conversationChannel(conversation)
      : topic
        ? topicChannel(topic)
        : `${CHANNEL_PREFIX}.>`;
    const wanted = (event: FlankEvent, channel: string) =>
      (!topic || event.type === topic) &&
      (conversation !== undefined || channel === topicChannel(event.type));

    const release = slots.take();
    if (!release) {
      return c.json(
        errorBody(c, "rate_limited", `too many open event streams (${slots.max}); retry later`, {
          retryAfterSeconds: 5,
        }),
        429,
        { "Retry-After": "5" },
      );
    }
    return tapStream(c, {
      onClose: release,
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
