import { StreamSlots, tapStream } from "@flank/gateway";
import {
  type Bus,
  conversationChannel,
  conversationIdOf,
  inboundButtonReplyWebhook,
  inboundTextWebhook,
  type Logger,
  postWebhook,
  type WebhookTarget,
} from "@flank/shared";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { requireToken, sameOriginOnly } from "./guard.js";
import { type PlaygroundMedia, playgroundMediaRoutes } from "./media.js";
import { playgroundPage } from "./page.js";

export interface PlaygroundDeps {
  bus: Bus;
  log: Logger;
  phoneNumberId: string;
  simulated: string[];
  /** The gateway's own webhook and app secret (known once it listens). */
  target: () => WebhookTarget;
  /** This run's token: every call but the page must carry it (guard.ts). */
  token: string;
  /** Host names it may be reached by besides loopback (the `--host` address). */
  hosts?: readonly string[];
  /** Event streams open at once; past it, 429. */
  maxStreams?: number;
  keepAliveMs?: number;
  /** Images and voice notes (media.ts); text only without it. */
  media?: PlaygroundMedia;
}

/** A message of the playground is a few kilobytes at most (text is capped at 4,096 characters). */
export const PLAYGROUND_BODY_LIMIT = 16 * 1024;

export interface Playground {
  app: Hono;
  /** Ends open event streams, so the HTTP server can close. */
  close(): void;
}

const WaId = z.string().regex(/^\d{6,15}$/, "a phone number: 6 to 15 digits, no +");
const SendBody = z
  .object({
    from: WaId,
    name: z.string().trim().min(1).max(60).optional(),
    text: z.string().trim().min(1).max(4096).optional(),
    /** A tap on a reply button of the bot's message `context`. */
    reply: z
      .object({
        id: z.string().min(1).max(256),
        title: z.string().min(1).max(20),
        context: z.string().min(1),
      })
      .optional(),
  })
  .refine((b) => Boolean(b.text) !== Boolean(b.reply), { message: "give text or reply" });

/**
 * The playground (embedded mode only, while the Cloud API is simulated and never in production):
 * a page where you chat as a WhatsApp user. Messages take the real path: a Meta-shaped webhook,
 * signed with the app secret, POSTed to the gateway's webhook. Replies, ticks and the stage come
 * back live over SSE from a tap on the conversation's channel. It signs webhooks for whoever
 * calls it, so every call but the page needs this run's token, from this origin (guard.ts).
 */
export function createPlayground(deps: PlaygroundDeps): Playground {
  const shutdown = new AbortController();
  const app = new Hono();
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  const slots = new StreamSlots(deps.maxStreams ?? 8);

  app.use("*", sameOriginOnly(deps.hosts));
  app.get("/", (c) => c.html(playgroundPage()));
  app.use("*", requireToken(deps.token));
  app.use(
    "/send",
    bodyLimit({
      maxSize: PLAYGROUND_BODY_LIMIT,
      onError: (c) => c.json({ error: `the body is larger than ${PLAYGROUND_BODY_LIMIT} bytes` }, 413),
    }),
  );
  if (deps.media) app.route("/", playgroundMediaRoutes({ ...deps, media: deps.media }));
  app.get("/info", (c) => c.json({ phoneNumberId: deps.phoneNumberId, simulated: deps.simulated }));

  app.post("/send", async (c) => {
    const parsed = SendBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      return c.json(
        { error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) },
        400,
      );
    }
    const { from, name, text, reply } = parsed.data;
    const biz = { phoneNumberId: deps.phoneNumberId };
    const { payload, wamid } = reply
      ? inboundButtonReplyWebhook({
          ...biz,
          from,
          name,
          reply: { id: reply.id, title: reply.title },
          replyTo: reply.context,
        })
      : inboundTextWebhook({ ...biz, from, name, text: text ?? "" });
    try {
      const res = await postWebhook(deps.target(), payload);
      const body = { wamid, conversationId: conversationIdOf(deps.phoneNumberId, from), gateway: res.status };
      return c.json(res.status === 200 ? body : { ...body, error: res.body }, res.status === 200 ? 200 : 502);
    } catch (err) {
      deps.log.warn({ err }, "playground could not reach the gateway");
      return c.json({ error: "the gateway did not answer" }, 502);
    }
  });

  app.get("/events", (c) => {
    const from = WaId.safeParse(c.req.query("from"));
    if (!from.success) return c.json({ error: "from: a phone number, 6 to 15 digits" }, 400);
    const conversationId = conversationIdOf(deps.phoneNumberId, from.data);
    const release = slots.take();
    if (!release)
      return c.json({ error: `too many open event streams (${slots.max})` }, 429, { "Retry-After": "5" });
    return tapStream(c, {
      onClose: release,
      bus: deps.bus,
      log: deps.log,
      pattern: conversationChannel(conversationId),
      ready: { conversationId },
      keepAliveMs,
      shutdown: shutdown.signal,
    });
  });

  return { app, close: () => shutdown.abort() };
}
