import type { IncomingMessage } from "node:http";
import { readWhole } from "@flank/shared/http";
import type { Context } from "hono";
import { ApiError } from "./errors.js";
import { incomingOf } from "./node-request.js";

/** Meta's webhooks are at most 3 MB (docs/whatsapp-contract.md "Delivery from Meta"); the margin covers escaping and batching slack. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024 + 256 * 1024;

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `request body is larger than ${limit} bytes`, { limit });

const overDeclared = (declared: string | undefined, limit: number) =>
  declared !== undefined && Number(declared) > limit;

/** A refusal that Meta (or any client) should retry shortly: 503 with Retry-After. */
const overloaded = () =>
  new ApiError("overloaded", "too many request bytes in flight; retry later", { retryAfterSeconds: 1 });

/** One request's share of a BodyBudget: grows as its bytes arrive; released once it is handled. */
export interface BodyLease {
  /** Counts `bytes` more; false (and nothing counted) when that would pass the budget. */
  take(bytes: number): boolean;
  /** Gives every byte back; idempotent. */
  release(): void;
}

/**
 * The bytes of request bodies held at once (WEBHOOK_BODY_BUDGET_MB). A body costs several times
 * its size while it is parsed, normalized and published, so many large bodies in parallel would
 * end the process out of heap; past the budget a request is refused with 503 (Meta retries) before
 * more of it is read.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly maxBytes: number) {}

  get inFlight(): number {
    return this.used;
  }

  lease(): BodyLease {
    let held = 0;
    return {
      take: (bytes) => {
        if (this.used + bytes > this.maxBytes) return false;
        this.used += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        this.used -= held;
        held = 0;
      },
    };
  }
}

/**
 * The request body as bytes, read once, refused early: on a Content-Length over the limit before
 * reading anything, and as soon as the bytes read pass it; with a lease, also past its budget.
 * Under @hono/node-server it reads the Node request directly (no web stream in between); elsewhere
 * (app.request in tests) the web body.
 */
export function readBody(c: Context, limit: number, lease?: BodyLease): Promise<Buffer> {
  const incoming = incomingOf(c);
  if (incoming && typeof incoming.on === "function" && !incoming.readableEnded && !incoming.readableDidRead) {
    return readIncoming(incoming, limit, lease);
  }
  if (overDeclared(c.req.header("content-length"), limit)) return Promise.reject(tooLarge(limit));
  return readWebBody(c.req.raw, limit, lease);
}

/** A lease that never refuses, for reads without a budget. */
const UNBOUNDED: BodyLease = { take: () => true, release: () => undefined };

/**
 * A Node request's body, with the same limits as readBody. With a Content-Length the bytes are copied into one buffer of that size as they
 * arrive (the budget taken up front), instead of keeping the chunks and concatenating them: one
 * copy of the body in memory instead of two.
 */
function readIncoming(incoming: IncomingMessage, limit: number, lease = UNBOUNDED): Promise<Buffer> {
  const declaredHeader = incoming.headers["content-length"];
  if (overDeclared(declaredHeader, limit)) return Promise.reject(tooLarge(limit));
  const declared = declaredHeader === undefined ? undefined : Number(declaredHeader);
  const sized = declared !== undefined && Number.isSafeInteger(declared) && declared >= 0;
  if (sized && !lease.take(declared)) return Promise.reject(overloaded());
  return new Promise((resolve, reject) => {
    const whole = sized ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
    };
    const stop = (err: ApiError) => {
      cleanup();
      incoming.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) return stop(tooLarge(limit));
      if (whole) {
        // node:http never delivers more than the Content-Length it parsed.
        chunk.copy(whole, size);
      } else {
        if (!lease.take(chunk.length)) return stop(overloaded());
        chunks.push(chunk);
      }
      size += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      if (whole) resolve(size === whole.length ? whole : whole.subarray(0, size));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
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

function readWebBody(req: Request, limit: number, lease = UNBOUNDED): Promise<Buffer> {
  if (!req.body) return Promise.resolve(Buffer.alloc(0));
  return readWhole(req.body, (size, chunk) =>
    size > limit ? tooLarge(limit) : lease.take(chunk) ? undefined : overloaded(),
  );
}
