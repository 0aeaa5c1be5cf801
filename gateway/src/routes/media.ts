import { Readable } from "node:stream";
import { multipartBody, readText, streamRequest } from "@flank/shared/http";
import { MEDIA_LIMITS, type MediaType, meter } from "@flank/shared/media";
import { type Context, Hono } from "hono";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";

/** Served inline (an <img>, an <audio>); anything else is a download, so no stored file renders as a page. */
const INLINE = /^(image|audio|video)\//;

/** Meta's upload limits by mime type (docs/whatsapp-contract.md, Media): webp is a sticker. */
export function uploadType(mimeType: string): MediaType {
  if (mimeType === "image/webp") return "sticker";
  const top = mimeType.split("/")[0];
  return top === "image" || top === "audio" || top === "video" ? top : "document";
}

const numberOf = (c: Context<GatewayEnv>, ctx: GatewayContext): string => {
  const pnid = c.req.query("phoneNumberId") ?? ctx.config.whatsapp.phoneNumberId;
  if (!pnid)
    throw new ApiError("bad_request", "no business number: pass phoneNumberId or set PHONE_NUMBER_ID");
  return pnid;
};

/**
 * Media (docs/media.md): `GET /v1/media/{id}` streams a file the media worker stored, with its
 * mime type, for one business number (the tenant: another number's file is a 404);
 * `POST /v1/media` uploads a file to the Graph API and answers its media id for `/v1/messages`.
 */
export function mediaRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);

  on("getMedia", async (c) => {
    const id = c.req.param("id") ?? "";
    const tenant = numberOf(c, ctx);
    const file = await ctx.mediaStore.get(tenant, id);
    if (!file) throw new ApiError("not_found", `no stored media ${id} for ${tenant}`);
    const { meta } = file;
    addLogFields(c, { mediaId: id, size: meta.size });
    const name = (meta.filename ?? id).replace(/[^\w.-]/g, "_");
    return new Response(Readable.toWeb(file.open()) as ReadableStream, {
      status: 200,
      headers: {
        "content-type": meta.mimeType,
        "content-length": String(meta.size),
        "content-disposition": `${INLINE.test(meta.mimeType) ? "inline" : "attachment"}; filename="${name}"`,
        "cache-control": "private, max-age=3600",
        "x-content-type-options": "nosniff",
      },
    });
  });

  on("uploadMedia", async (c) => {
    const pnid = numberOf(c, ctx);
    const resolved = await ctx.integrations.resolve(pnid);
    if (!resolved) throw new ApiError("not_found", `no enabled integration for ${pnid}`);
    const upload = await uploadOf(c);
    const limit = MEDIA_LIMITS[uploadType(upload.mimeType)];
    if (upload.size !== undefined && upload.size > limit) {
      throw new ApiError("payload_too_large", `a ${upload.mimeType} file may be at most ${limit} bytes`, {
        limit,
      });
    }
    const metered = meter(limit);
    const form = multipartBody([
      { name: "messaging_product", value: "whatsapp" },
      { name: "type", value: upload.mimeType },
      {
        name: "file",
        filename: upload.filename,
        contentType: upload.mimeType,
        body: metered.pass(upload.body),
      },
    ]);
    let status: number;
    let text: string;
    try {
      const answer = await streamRequest(
        `${ctx.config.whatsapp.graphApiBase}/${encodeURIComponent(pnid)}/media`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${resolved.integration.accessToken}`,
            "content-type": form.contentType,
          },
          body: form.body,
          timeoutMs: ctx.config.media.timeoutMs,
        },
      );
      status = answer.status;
      text = await readText(answer, 64 * 1024);
    } catch (err) {
      if (metered.meter.size > limit) {
        throw new ApiError("payload_too_large", `a ${upload.mimeType} file may be at most ${limit} bytes`, {
          limit,
        });
      }
      throw new ApiError("graph_error", `media upload failed: ${(err as Error).message}`, undefined, err);
    }
    let body: { id?: unknown; error?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // answered below as a Graph error
    }
    if (status < 200 || status > 299 || typeof body.id !== "string") {
      throw new ApiError(
        "graph_error",
        `the Graph API refused the upload (${status})`,
        body.error ?? text.slice(0, 500),
      );
    }
    addLogFields(c, { mediaId: body.id, size: metered.meter.size, mimeType: upload.mimeType });
    return c.json({ id: body.id }, 200);
  });

  return app;
}

interface Upload {
  mimeType: string;
  filename: string;
  size?: number;
  body: AsyncIterable<Uint8Array>;
}

/**
 * The uploaded file: a `file` field of multipart/form-data (read whole by the form parser, so at
 * most 16 MB), or the raw request body with its Content-Type (streamed, up to the type's limit).
 */
async function uploadOf(c: Context<GatewayEnv>): Promise<Upload> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    if (Number(c.req.header("content-length")) > MEDIA_LIMITS.video + 64 * 1024) {
      throw new ApiError(
        "payload_too_large",
        "multipart uploads are at most 16 MB; send larger files as the raw body",
      );
    }
    const form = await c.req.formData().catch(() => {
      throw new ApiError("bad_request", "unreadable multipart body");
    });
    const file = form.get("file");
    if (!(file instanceof Blob)) throw new ApiError("bad_request", "a multipart upload needs a `file` field");
    const mimeType = (file.type || String(form.get("type") ?? "")).split(";")[0]?.trim() ?? "";
    if (!mimeType) throw new ApiError("bad_request", "the file has no type");
    return {
      mimeType,
      filename: "name" in file && typeof file.name === "string" && file.name ? file.name : "file",
      size: file.size,
      body: Readable.fromWeb(file.stream() as import("node:stream/web").ReadableStream),
    };
  }
  const mimeType = type.split(";")[0]?.trim() ?? "";
  if (!mimeType || mimeType === "application/x-www-form-urlencoded") {
    throw new ApiError(
      "bad_request",
      "send the file as multipart/form-data or as the body with its Content-Type",
    );
  }
  const raw = c.req.raw.body;
  if (!raw) throw new ApiError("bad_request", "empty body");
  const declared = c.req.header("content-length");
  return {
    mimeType,
    filename: c.req.query("filename") ?? "file",
    ...(declared ? { size: Number(declared) } : {}),
    body: Readable.fromWeb(raw as import("node:stream/web").ReadableStream),
  };
}
