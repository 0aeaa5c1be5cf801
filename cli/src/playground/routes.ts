import {
  inboundButtonReplyWebhook,
  inboundTextWebhook,
  postWebhook,
  type WebhookTarget,
} from "@flank/devtools";
import { StreamSlots, tapStream } from "@flank/gateway";
import type { Bus } from "@flank/shared/bus";
import { conversationChannel } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { StoredMessage, Stores } from "@flank/shared/store";
import { conversationIdOf } from "@flank/shared/whatsapp";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { type Chats, TooManyChats, UnknownFlow } from "./chats.js";
import { requireToken, sameOriginOnly } from "./guard.js";
import { type ChatOf, type PlaygroundMedia, playgroundMediaRoutes } from "./media.js";
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
  /** The flows the router loaded, for the picker: ids with their names, and the default one. */
  flows: { id: string; name?: string }[];
  defaultFlowId: string;
  /** A chat per flow and reset (chats.ts). */
  chats: Chats;
  /** Where a chat's messages and state are read from when the page is reloaded. */
  stores: Pick<Stores, "messages" | "conversations">;
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
const Biz = z.string().regex(/^\d{5,20}$/, "a business phone_number_id");
const SendBody = z
  .object({
    from: WaId,
    /** The chat's business number (POST /chat); the default flow's when left out. */
    biz: Biz.optional(),
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
const ChatBody = z.object({ flow: z.string().min(1).max(200), fresh: z.boolean().optional() });
/** Messages shown on reload: the chat's latest. */
const HISTORY_LIMIT = 200;

/** The conversation's last `limit` messages, oldest first (the store pages from the oldest). */
async function latestMessages(messages: Stores["messages"], id: string, limit: number) {
  const all: StoredMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await messages.listByConversation(id, { limit: 500, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    if (all.length > limit) all.splice(0, all.length - limit);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);

/** A stored message as the page draws it: the bot's as the outbound.request it was (raw). */
const historyItem = (m: StoredMessage) => ({
  direction: m.direction,
  type: m.type,
  body: m.body,
  wamid: m.wamid,
  status: m.status,
  timestamp: m.timestamp,
  ...(m.direction === "outbound" ? { request: m.raw } : {}),
});

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
  /** The user and a chat this playground opened (no other number is signed for or streamed). */
  const chatOf: ChatOf = (biz, from) => {
    const user = WaId.safeParse(from);
    if (!user.success) return { error: "from: a phone number, 6 to 15 digits", status: 400 };
    const number = biz ?? deps.phoneNumberId;
    if (!Biz.safeParse(number).success) return { error: "biz: a business phone_number_id", status: 400 };
    if (!deps.chats.get(number))
      return { error: `no playground chat on ${number}: open one (POST /chat)`, status: 404 };
    return { biz: number, from: user.data };
  };

  app.use("*", sameOriginOnly(deps.hosts));
  app.get("/", (c) => c.html(playgroundPage()));
  app.use("*", requireToken(deps.token));
  app.use(
    "*",
    bodyLimit({
      maxSize: PLAYGROUND_BODY_LIMIT,
      onError: (c) => c.json({ error: `the body is larger than ${PLAYGROUND_BODY_LIMIT} bytes` }, 413),
    }),
  );
  if (deps.media) app.route("/", playgroundMediaRoutes({ ...deps, media: deps.media, chatOf }));
  app.get("/info", (c) =>
    c.json({
      phoneNumberId: deps.phoneNumberId,
      simulated: deps.simulated,
      flows: deps.flows,
      defaultFlow: deps.defaultFlowId,
    }),
  );

  /** A chat on a flow (the picker): its current one, or with `fresh` (the reset) a new one. */
  app.post("/chat", async (c) => {
    const parsed = ChatBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: issues(parsed.error) }, 400);
    try {
      const chat = await deps.chats.open(parsed.data.flow, parsed.data.fresh ?? false);
      return c.json(chat);
    } catch (err) {
      if (err instanceof UnknownFlow) return c.json({ error: err.message }, 404);
      if (err instanceof TooManyChats) return c.json({ error: err.message }, 429);
      deps.log.warn({ err }, "playground could not open a chat");
      return c.json({ error: "could not open a chat" }, 500);
    }
  });

  /** The chat so far, oldest first, and where the conversation stands: the page after a reload. */
  app.get("/history", async (c) => {
    const at = chatOf(c.req.query("biz"), c.req.query("from"));
    if ("error" in at) return c.json({ error: at.error }, at.status);
    const id = conversationIdOf(at.biz, at.from);
    const [conversation, messages] = await Promise.all([
      deps.stores.conversations.get(id),
      latestMessages(deps.stores.messages, id, HISTORY_LIMIT),
    ]);
    return c.json({
      conversation: conversation
        ? { stage: conversation.stage, route: conversation.route, flowId: conversation.flowId }
        : null,
      messages: messages.map(historyItem),
    });
  });

  app.post("/send", async (c) => {
    const parsed = SendBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      return c.json({ error: issues(parsed.error) }, 400);
    }
    const { from, name, text, reply } = parsed.data;
    const chat = chatOf(parsed.data.biz, from);
    if ("error" in chat) return c.json({ error: chat.error }, chat.status);
    const biz = { phoneNumberId: chat.biz };
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
      const body = { wamid, conversationId: conversationIdOf(chat.biz, from), gateway: res.status };
      return c.json(res.status === 200 ? body : { ...body, error: res.body }, res.status === 200 ? 200 : 502);
    } catch (err) {
      deps.log.warn({ err }, "playground could not reach the gateway");
      return c.json({ error: "the gateway did not answer" }, 502);
    }
  });

  app.get("/events", (c) => {
    const at = chatOf(c.req.query("biz"), c.req.query("from"));
    if ("error" in at) return c.json({ error: at.error }, at.status);
    const conversationId = conversationIdOf(at.biz, at.from);
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
