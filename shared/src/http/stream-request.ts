import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import { ResponseTooLargeError } from "./guarded-fetch.js";

/** An answer whose body is still on the wire: read it as a stream (it ends, or fails, with the call). */
export interface StreamAnswer {
  status: number;
  headers: IncomingMessage["headers"];
  body: IncomingMessage;
}

export interface StreamRequestInit {
  method: string;
  headers: Record<string, string>;
  /** Sent as it is produced: a multipart upload streamed from disk, never joined in memory. */
  body?: AsyncIterable<Uint8Array> | string;
  /** One deadline for the whole call, body reading included: past it the socket is destroyed. */
  timeoutMs: number;
}

export class RequestTimeoutError extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * One HTTP call over node:http(s) whose answer body is a stream, for media (docs/media.md): a
 * 16 MB voice note passes through in socket-sized chunks. Like the responder's other clients
 * (responder/src/lean-fetch.ts), it follows no redirect, so a credential it carries goes to that
 * one URL only, and it does not load undici (about 25 MB more resident memory).
 */
export function streamRequest(url: string, init: StreamRequestInit): Promise<StreamAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      reject(new Error(`unsupported URL scheme ${target.protocol}`));
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method, headers: init.headers }, (res) => {
      res.once("close", () => clearTimeout(timer));
      resolve({ status: res.statusCode ?? 500, headers: res.headers, body: res });
    });
    const timer = setTimeout(() => req.destroy(new RequestTimeoutError(init.timeoutMs)), init.timeoutMs);
    timer.unref();
    // `on`, not `once`: a destroy after the answer started (the deadline) errors the request again.
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const body = init.body;
    if (body === undefined) req.end();
    else if (typeof body === "string") req.end(body);
    else pipeline(body, req).catch((err: unknown) => req.destroy(err as Error));
  });
}

/** A stream answer's body as text, up to `maxBytes` (small JSON answers: Graph, a transcription). */
export async function readText(answer: StreamAnswer, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      answer.body.destroy();
      throw new ResponseTooLargeError(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
