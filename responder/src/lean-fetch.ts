import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { guardedFetch, nullBodyStatus, RESPONSE_BODY_LIMIT, ResponseTooLargeError } from "@flank/shared/http";

/** A whole answer as text: what `request` gives instead of a `Response`. */
export interface LeanAnswer {
  status: number;
  /** Empty, as on the `Response` the lean fetch builds (node:http's reason phrase is not kept). */
  statusText: string;
  text: string;
  /** A response header by its lower-case name (the model client reads `retry-after`). */
  header(name: string): string | undefined;
}

/**
 * One call with a string body and a hard deadline, answered as text. Rejects on network errors,
 * and past `timeoutMs` with a DOMException named TimeoutError, as `AbortSignal.timeout` would.
 */
export type LeanRequest = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
) => Promise<LeanAnswer>;

/** `LeanRequest` over a fetch: the global one under guardedFetch's rules by default, or a test's. */
export function fetchRequest(doFetch: typeof fetch = guardedFetch()): LeanRequest {
  return async (url, { timeoutMs, ...init }) => {
    const res = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return {
      status: res.status,
      statusText: res.statusText,
      text: await res.text(),
      header: (name) => res.headers.get(name) ?? undefined,
    };
  };
}

/**
 * The responder's HTTP client on node:http(s) keep-alive agents: `request` makes one exchange
 * and reads the whole body as text, without building a `Response` (Headers, a body stream) or an
 * AbortSignal per call, for the Graph API client and the model call (openai-composer.ts).
 *
 * Why not the global fetch: it wraps every call in WHATWG streams, AbortSignal plumbing and spec
 * bookkeeping. Measured on the bench machine, a small JSON POST and reading its JSON answer, 32 at
 * a time: about 210 µs of CPU a call through the global fetch, about 35 µs this way. node:http
 * rather than undici's `request` (about 20 µs cheaper a call): undici compiles its WebAssembly
 * HTTP parser on first use, which cost about 25 MB more resident memory.
 *
 * It follows no redirects: every call carries a credential (the OpenAI key, a WhatsApp token), and
 * a 3xx to another origin or to plain http would take it along; a 3xx is answered as it is.
 * Answers larger than `maxResponseBytes` reject with ResponseTooLargeError.
 */
export function createLeanHttp(
  opts: { maxSockets?: number; maxResponseBytes?: number; idleSocketMs?: number } = {},
): {
  request: LeanRequest;
} {
  // Idle sockets are kept up to the cap (the default keeps 256): with hundreds of slow model calls
  // at once, every burst above it would otherwise open and close connections again.
  const maxSockets = opts.maxSockets ?? 64;
  // Idle sockets close after 4 s, before the 5 s keep-alive timeout of Node and uvicorn servers:
  // reusing a socket the server is closing fails the call (the bench's load generator saw it).
  const timeout = opts.idleSocketMs ?? 4000;
  const pool = { keepAlive: true, noDelay: true, maxSockets, maxFreeSockets: maxSockets, timeout };
  const agents = { "http:": new HttpAgent(pool), "https:": new HttpsAgent(pool) };
  const maxBytes = opts.maxResponseBytes ?? RESPONSE_BODY_LIMIT;
  const request: LeanRequest = async (url, init) => {
    const deadline = new Deadline(init.timeoutMs);
    try {
      const { res, bytes } = await exchange(
        {
          url: new URL(url),
          method: init.method.toUpperCase(),
          headers: headersOf(init.headers),
          body: init.body,
          abort: deadline,
          maxBytes,
        },
        agents,
      );
      const status = res.statusCode ?? 500;
      return {
        status,
        statusText: "",
        text: nullBodyStatus(status) ? "" : bytes.toString("utf8"),
        header: (name) => {
          const value = res.headers[name];
          return Array.isArray(value) ? value.join(", ") : value;
        },
      };
    } finally {
      deadline.clear();
    }
  };
  return { request };
}

/** What `exchange` needs to end a call: the request's deadline. */
interface Abort {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once on abort; returns the function that stops listening. */
  listen(listener: () => void): () => void;
}

/** One timer for a whole call; rejects as `AbortSignal.timeout` does. */
class Deadline implements Abort {
  aborted = false;
  reason: unknown;
  private listener: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.aborted = true;
      this.reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
      this.listener?.();
    }, ms);
  }

  listen(listener: () => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** One HTTP call as `exchange` makes it. */
interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  abort: Abort | undefined;
  /** The largest answer body accepted. */
  maxBytes: number;
}
type Agents = { "http:": HttpAgent; "https:": HttpsAgent };
type Exchanged = { res: IncomingMessage; bytes: Buffer };

/** One request and its whole body, up to `maxBytes`; an abort ends either, with its reason. */
function exchange({ url, method, headers, body, abort, maxBytes }: Call, agents: Agents): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    if (abort?.aborted) return reject(abort.reason);
    const https = url.protocol === "https:";
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method, headers, agent: https ? agents["https:"] : agents["http:"] },
      (res) => {
        if (Number(res.headers["content-length"]) > maxBytes) {
          req.destroy(new ResponseTooLargeError(maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) req.destroy(new ResponseTooLargeError(maxBytes));
          else chunks.push(chunk);
        });
        res.once("error", fail);
        res.once("end", () => {
          unlisten?.();
          resolve({ res, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
        });
      },
    );
    // Destroying the request also ends a response being read, with the same error.
    const unlisten = abort?.listen(() => req.destroy(abort.reason as Error));
    const fail = (err: Error) => {
      unlisten?.();
      reject(err);
    };
    req.once("error", fail);
    req.end(body);
  });
}

/** Header names lower-cased, as node:http sends them and as the tests read them. */
function headersOf(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([name, value]) => [name.toLowerCase(), value]));
}
