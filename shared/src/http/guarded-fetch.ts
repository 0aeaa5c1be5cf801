import { FlankError } from "../errors.js";

/**
 * The largest answer a Graph API or model call may send: Meta's and a chat completion's answers
 * are kilobytes; past this a misbehaving or hostile server only fills memory.
 */
export const RESPONSE_BODY_LIMIT = 4 * 1024 * 1024;

export class ResponseTooLargeError extends FlankError {
  constructor(limit: number) {
    super("ResponseTooLarge", `response body is larger than ${limit} bytes`, {
      context: { limit },
      retryable: false,
    });
  }
}

/** Statuses that may not carry a body (fetch's "null body status"). */
export const nullBodyStatus = (status: number): boolean => status === 204 || status === 205 || status === 304;

/**
 * A fetch for calls that carry credentials (the OpenAI key, a WhatsApp token): no redirect is
 * followed, since a 3xx to another origin or to plain http would take the Authorization header
 * with it (the 3xx is answered as it is, and the caller reports it as an HTTP error), and the body
 * is read whole up to `maxBytes`, past which the call rejects with ResponseTooLargeError.
 */
export function guardedFetch(opts: { maxBytes?: number; fetch?: typeof fetch } = {}): typeof fetch {
  const inner = opts.fetch ?? fetch;
  const max = opts.maxBytes ?? RESPONSE_BODY_LIMIT;
  const guarded = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await inner(input, { ...init, redirect: "manual" });
    if (!res.body || nullBodyStatus(res.status)) return res;
    if (Number(res.headers.get("content-length")) > max) {
      await res.body.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(max);
    }
    const bytes = await readWhole(res.body, (size) =>
      size > max ? new ResponseTooLargeError(max) : undefined,
    );
    return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return guarded as typeof fetch;
}

/**
 * A web body stream read whole. `refuse(size, chunk)` sees the running total and each chunk's
 * size; when it returns an error the stream is cancelled and that error thrown.
 */
export async function readWhole(
  body: ReadableStream<Uint8Array>,
  refuse: (size: number, chunk: number) => Error | undefined,
): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    const refusal = refuse(size, value.byteLength);
    if (refusal) {
      await reader.cancel().catch(() => undefined);
      throw refusal;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
