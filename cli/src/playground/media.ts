import { randomInt } from "node:crypto";
import { Readable } from "node:stream";
import { type GraphTestServer, inboundMediaWebhook, postWebhook, type WebhookTarget } from "@flank/devtools";
import type { Logger } from "@flank/shared/log";
import type { MediaStore } from "@flank/shared/media";
import { conversationIdOf } from "@flank/shared/whatsapp";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";

/** What the playground's media needs: the simulator that serves the file, and the store the responder fills. */
export interface PlaygroundMedia {
  simulator: GraphTestServer;
  store: MediaStore;
}

/** An image or a voice note from the page: a few megabytes at most (Meta's image limit). */
export const PLAYGROUND_MEDIA_LIMIT = 5 * 1024 * 1024;

/** JSON like every playground POST (guard.ts): the file as base64. */
const SendMediaBody = z.object({
  from: z.string(),
  /** The chat's business number (a flow's own number): PHONE_NUMBER_ID when left out. */
  biz: z.string().optional(),
  name: z.string().trim().min(1).max(60).optional(),
  caption: z.string().trim().min(1).max(1024).optional(),
  mimeType: z
    .string()
    .regex(
      /^(image\/(jpeg|png|webp)|audio\/(ogg|mpeg|mp4|aac|amr|webm)(;.*)?)$/,
      "an image (jpeg, png, webp) or audio",
    ),
  data: z.string().min(1),
});

/**
 * The playground's media (docs/media.md): `POST /send-media` sends an image or a voice note as
 * the user (the file goes into the simulator, which then serves it as Meta does, and a Meta-shaped
 * media webhook goes to the gateway); `GET /media/{id}` shows a file the media worker stored.
 * Behind the playground's token and origin checks (routes.ts).
 */
/** The chat a request names (its business number and user), or why the playground refuses it. */
export type ChatOf = (
  biz: string | undefined,
  from: string | undefined,
) => { biz: string; from: string } | { error: string; status: 400 | 404 };

export function playgroundMediaRoutes(deps: {
  media: PlaygroundMedia;
  /** The chat a request names, when this playground opened it (routes.ts). */
  chatOf: ChatOf;
  target: () => WebhookTarget;
  log: Logger;
}): Hono {
  const app = new Hono();
  app.use(
    "/send-media",
    bodyLimit({
      // base64 is 4/3 of the file, plus the other fields.
      maxSize: Math.ceil((PLAYGROUND_MEDIA_LIMIT * 4) / 3) + 4096,
      onError: (c) => c.json({ error: `the file is larger than ${PLAYGROUND_MEDIA_LIMIT} bytes` }, 413),
    }),
  );

  app.post("/send-media", async (c) => {
    const parsed = SendMediaBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      return c.json(
        { error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`) },
        400,
      );
    }
    const { name, caption, mimeType } = parsed.data;
    const chat = deps.chatOf(parsed.data.biz, parsed.data.from);
    if ("error" in chat) return c.json({ error: chat.error }, chat.status);
    const { biz, from } = chat;
    const bytes = Buffer.from(parsed.data.data, "base64");
    if (bytes.length === 0 || bytes.length > PLAYGROUND_MEDIA_LIMIT) {
      return c.json({ error: `a file of 1 to ${PLAYGROUND_MEDIA_LIMIT} bytes` }, 400);
    }
    const mediaId = String(randomInt(1e14, 3e14));
    deps.media.simulator.addMedia(mediaId, { bytes, mime_type: mimeType });
    const audio = mimeType.startsWith("audio/");
    const { payload, wamid } = inboundMediaWebhook({
      phoneNumberId: biz,
      from,
      name: name ?? from,
      type: audio ? "audio" : mimeType === "image/webp" ? "sticker" : "image",
      mediaId,
      mimeType,
      ...(audio ? { voice: true } : caption ? { caption } : {}),
    });
    try {
      const res = await postWebhook(deps.target(), payload);
      const body = {
        wamid,
        mediaId,
        conversationId: conversationIdOf(biz, from),
        gateway: res.status,
      };
      return c.json(res.status === 200 ? body : { ...body, error: res.body }, res.status === 200 ? 200 : 502);
    } catch (err) {
      deps.log.warn({ err }, "playground could not reach the gateway");
      return c.json({ error: "the gateway did not answer" }, 502);
    }
  });

  app.get("/media/:id", async (c) => {
    const chat = deps.chatOf(c.req.query("biz"), c.req.query("from"));
    if ("error" in chat) return c.json({ error: chat.error }, chat.status);
    const file = await deps.media.store.get(chat.biz, c.req.param("id"));
    if (!file) return c.json({ error: "not stored (yet)" }, 404);
    return new Response(Readable.toWeb(file.open()) as ReadableStream, {
      headers: { "content-type": file.meta.mimeType, "x-content-type-options": "nosniff" },
    });
  });
  return app;
}

/**
 * The page's media controls, loaded after the main script (page-script.ts), whose globals it uses:
 * an attach button (an image, or an audio file sent as a voice note) and, on `media.stored`, the
 * stored file under its bubble with the transcript when there is one.
 */
export const PLAYGROUND_MEDIA_SCRIPT = `
"use strict";
(function () {
  var picker = document.createElement("input");
  picker.type = "file";
  picker.accept = "image/jpeg,image/png,image/webp,audio/*";
  picker.hidden = true;
  var attach = document.createElement("button");
  attach.type = "button";
  attach.textContent = "\\u{1F4CE}";
  attach.title = "Send an image or a voice note";
  attach.onclick = function () { if (stream) picker.click(); };
  var composer = $("composer");
  composer.insertBefore(attach, composer.firstChild);
  composer.appendChild(picker);
  picker.onchange = function () {
    var file = picker.files && picker.files[0];
    picker.value = "";
    if (!file) return;
    var audio = file.type.indexOf("audio/") === 0;
    var caption = audio ? "" : $("text").value.trim();
    if (caption) $("text").value = "";
    var el = bubble("me", (audio ? "[voice note] " : "[image] ") + (caption || file.name));
    new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).replace(/^data:[^,]*,/, "")); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    })
      .then(function (data) {
        var body = { mimeType: file.type, data: data };
        if (caption) body.caption = caption;
        return post("/send-media", body, el);
      })
      .catch(function (err) { setStatus(el, "failed", String(err)); });
  };
  handlers["media.stored"] = function (e) {
    var d = e.data;
    // The event can come before the send's answer names the bubble's wamid.
    withBubble(d.wamid, function (el) { show(el, d); });
  };
  function show(el, d) {
    fetch(base + "/media/" + encodeURIComponent(d.mediaId) + "?biz=" + encodeURIComponent(biz) + "&from=" + encodeURIComponent(from), { headers: auth })
      .then(function (res) { if (!res.ok) throw new Error("HTTP " + res.status); return res.blob(); })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var shown = d.type === "audio" ? document.createElement("audio") : document.createElement("img");
        if (d.type === "audio") shown.controls = true;
        shown.src = url;
        shown.className = "media";
        shown.style.maxWidth = "100%";
        shown.title = "stored: " + d.mimeType + ", " + d.size + " bytes";
        el.insertBefore(shown, el.querySelector(".meta"));
        if (d.transcript) {
          var t = document.createElement("div");
          t.className = "transcript muted small";
          t.textContent = "\\u201C" + d.transcript + "\\u201D";
          el.insertBefore(t, el.querySelector(".meta"));
        }
        scrollDown();
      })
      .catch(function () { /* shown when stored; nothing to show otherwise */ });
  }
})();
`;
