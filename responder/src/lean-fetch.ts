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
 * The responder's HTTP clients on node:http(s) keep-alive agents: a `fetch` and, on the same pool,
 * `request`, the same exchange without building a `Response` (Headers, a body stream) or an
 * AbortSignal per call, for the Graph API client and the model call (openai-composer.ts), which
 * read the body as text anyway: the `Response` and its body reading were about half of a lean
 * fetch call's CPU on the bench machine.
 *
 * Why not the global fetch: it wraps every call in WHATWG streams, AbortSignal plumbing and spec
 * bookkeeping. Measured on the bench machine, a small JSON POST and reading its JSON answer, 32 at
 * a time: about 210 µs of CPU a call through the global fetch, about 80 µs through this function
 * (of which reading the `Response` body is about 45). The responder makes three such calls per
 * answered message (model, read receipt, reply), which made fetch the largest item in its CPU
 * profile. node:http rather than undici's `request` (about 20 µs cheaper a call): undici compiles
 * its WebAssembly HTTP parser on first use, which cost about 25 MB more resident memory.
 *
 * What it keeps of fetch: the same signature and a real `Response`; a signal aborts the call with
 * the signal's reason (so `AbortSignal.timeout` still rejects with a TimeoutError). What it does
 * not: follow redirects. Every call carries a credential (the OpenAI key, a WhatsApp token), and a
 * 3xx to another origin or to plain http would take it along; a 3xx is answered as it is. Answers
 * larger than `maxResponseBytes` reject with ResponseTooLargeError. Bodies it does not send itself
 * (streams, form data, a `Request` as input) go to the global fetch under the same two rules
 * (`guardedFetch`).
 */
export function createLeanHttp(opts: { maxSockets?: number; maxResponseBytes?: number } = {}): {
  fetch: typeof fetch;
  request: LeanRequest;
} {
  // Idle sockets are kept up to the cap (the default keeps 256): with hundreds of slow model calls
  // at once, every burst above it would otherwise open and close connections again.
  const maxSockets = opts.maxSockets ?? 64;
  const pool = { keepAlive: true, noDelay: true, maxSockets, maxFreeSockets: maxSockets };
  const agents = { "http:": new HttpAgent(pool), "https:": new HttpsAgent(pool) };
  const maxBytes = opts.maxResponseBytes ?? RESPONSE_BODY_LIMIT;
  const fallback = guardedFetch({ maxBytes });
  const lean = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      !(body == null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      return fallback(input, init);
    }
    const { res, bytes } = await exchange(
      {
        url: new URL(input),
        method: (init.method ?? "GET").toUpperCase(),
        headers: headersOf(init.headers),
        body: body ?? undefined,
        abort: init.signal ? signalAbort(init.signal) : undefined,
        maxBytes,
      },
      agents,
    );
    const status = res.statusCode ?? 500;
    const responseHeaders = new Headers();
    for (let i = 0; i < res.rawHeaders.length; i += 2)
      responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
    return new Response(nullBodyStatus(status) ? null : bytes, { status, headers: responseHeaders });
  };
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
  return { fetch: lean as typeof fetch, request };
}

/** What `exchange` needs of an AbortSignal: the lean request's own deadline is one too. */
interface Abort {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once on abort; returns the function that stops listening. */
  listen(listener: () => void): () => void;
}

function signalAbort(signal: AbortSignal): Abort {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason;
    },
    listen(listener) {
      signal.addEventListener("abort", listener, { once: true });
      return () => signal.removeEventListener("abort", listener);
    },
  };
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

/** node:http takes a plain record; fetch callers pass a record, pairs or a Headers (names lower-cased here). */
function headersOf(h: RequestInit["headers"]): Record<string, string> {
  const pairs =
    h === undefined ? [] : h instanceof Headers ? [...h] : Array.isArray(h) ? h : Object.entries(h);
  return Object.fromEntries(pairs.map(([name, value]) => [String(name).toLowerCase(), String(value)]));
}
