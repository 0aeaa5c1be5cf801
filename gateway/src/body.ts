import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import { ApiError } from "./errors.js";

/** Meta's webhooks are at most 3 MB (contract §7); the margin covers escaping and batching slack. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024 + 256 * 1024;

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `request body is larger than ${limit} bytes`, { limit });

const overDeclared = (declared: string | undefined, limit: number) =>
  declared !== undefined && Number(declared) > limit;

/**
 * The request body as bytes, read once, refused early: on a Content-Length over the limit before
 * reading anything, and as soon as the bytes read pass it. Under @hono/node-server it reads the
 * Node request directly (no web stream in between); elsewhere (app.request in tests) the web body.
 */
export function readBody(c: Context, limit: number): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === "function" && !incoming.readableEnded && !incoming.readableDidRead) {
    return readIncoming(incoming, limit);
  }
  if (overDeclared(c.req.header("content-length"), limit)) return Promise.reject(tooLarge(limit));
  return readWebBody(c.req.raw, limit);
}

/** A Node request's body, with the same limits as readBody (the webhook fast path reads it directly). */
export function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  if (overDeclared(incoming.headers["content-length"], limit)) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ApiError("bad_request", "request body could not be read", undefined, err));
    };
    const onClose = () => {
      if (!incoming.readableEnded) onError(new Error("client closed the connection"));
    };
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", onError);
    incoming.once("close", onClose);
  });
}

async function readWebBody(req: Request, limit: number): Promise<Buffer> {
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
