import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * A `fetch` for the responder's two clients (the Graph API client and the openai SDK's `fetch`
 * option), on node:http(s) with keep-alive agents.
 *
 * Why not the global fetch: it wraps every call in WHATWG streams, AbortSignal plumbing and spec
 * bookkeeping. Measured on the bench machine, a small JSON POST and reading its JSON answer, 32 at
 * a time: about 210 µs of CPU a call through the global fetch, about 80 µs through this function
 * (of which reading the `Response` body is about 45). The responder makes three such calls per
 * answered message (model, read receipt, reply), which made fetch the largest item in its CPU
 * profile. node:http rather than undici's `request` (about 20 µs cheaper a call): undici compiles
 * its WebAssembly HTTP parser on first use, which cost about 25 MB more resident memory.
 *
 * What it keeps of fetch: the same signature and a real `Response`; redirects followed (up to 3;
 * 303, and 301/302 after a POST, continue as a GET, as fetch does); a signal aborts the call with
 * the signal's reason (so `AbortSignal.timeout` still rejects with a TimeoutError). Bodies it does
 * not send itself (streams, form data, a `Request` as input) go to the global fetch, unchanged.
 */
export function createLeanFetch(opts: { maxSockets?: number } = {}): typeof fetch {
  const agents = {
    "http:": new HttpAgent({ keepAlive: true, noDelay: true, maxSockets: opts.maxSockets ?? 64 }),
    "https:": new HttpsAgent({ keepAlive: true, noDelay: true, maxSockets: opts.maxSockets ?? 64 }),
  };
  const lean = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      input instanceof Request ||
      !(body == null || typeof body === "string" || body instanceof Uint8Array)
    ) {
      return fetch(input, init);
    }
    let url = new URL(input);
    let method = (init.method ?? "GET").toUpperCase();
    let payload: string | Uint8Array | undefined = body ?? undefined;
    const headers = headersOf(init.headers);
    for (let hop = 0; ; hop++) {
      const { res, bytes } = await exchange(url, method, headers, payload, init.signal ?? undefined, agents);
      const status = res.statusCode ?? 500;
      const location = res.headers.location;
      if (hop < 3 && location && REDIRECTS.has(status)) {
        url = new URL(location, url);
        if (status === 303 || (method === "POST" && status < 303)) {
          method = "GET";
          payload = undefined;
          delete headers["content-type"];
          delete headers["content-length"];
        }
        continue;
      }
      const responseHeaders = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
      // Statuses that may not carry a body (fetch's "null body status").
      const nullBody = status === 204 || status === 205 || status === 304;
      return new Response(nullBody ? null : bytes, { status, headers: responseHeaders });
    }
  };
  return lean as typeof fetch;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One request and its whole body; the signal aborts either, with its reason. */
function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
  agents: { "http:": HttpAgent; "https:": HttpsAgent },
): Promise<{ res: IncomingMessage; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const https = url.protocol === "https:";
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method, headers, agent: https ? agents["https:"] : agents["http:"] },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("error", fail);
        res.once("end", () => {
          signal?.removeEventListener("abort", onAbort);
          resolve({ res, bytes: Buffer.concat(chunks) });
        });
      },
    );
    // Destroying the request also ends a response being read, with the same error.
    const onAbort = () => req.destroy(signal?.reason);
    const fail = (err: Error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(err);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
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
