import { FlankError } from "@flank/shared/errors";
import { readText, type StreamAnswer, type StreamRequestInit, streamRequest } from "@flank/shared/http";
import { MediaTooLargeError } from "@flank/shared/media";

/** The transport: streamRequest (node:http, no redirects) by default; a test's to script answers. */
export type OpenStream = (url: string, init: StreamRequestInit) => Promise<StreamAnswer>;

export interface MediaDownloadOptions {
  /** GRAPH_API_BASE. */
  base: string;
  token: string;
  mediaId: string;
  phoneNumberId: string;
  /** Meta's limit for the type (shared/src/media/limits.ts): past it the download stops. */
  maxBytes: number;
  timeoutMs: number;
  open?: OpenStream;
}

export interface MediaDownload {
  mimeType: string;
  sha256?: string;
  /** The file's bytes as they arrive: to be streamed on (to the media store), never joined. */
  body: AsyncIterable<Uint8Array>;
}

export class MediaFetchError extends FlankError {
  constructor(message: string, retryable: boolean, context: Record<string, unknown> = {}) {
    super("MediaFetchError", message, { retryable, context });
  }
}

/** 5xx, 429 and a 404 on the file (its URL expired: the next attempt asks Graph for a new one). */
const retryableStatus = (status: number) => status >= 500 || status === 429;

/**
 * Meta's two-step download (docs/whatsapp-contract.md, Media retrieval): `GET /{media-id}` for a
 * short-lived URL, then that URL with the number's token. Meta serves the file from another host
 * than the Graph API and requires the token there, so the token goes to the URL Graph returned and
 * to no other: neither call follows a redirect (a 3xx is a failure), and only http(s) URLs are used.
 */
export async function downloadMedia(opts: MediaDownloadOptions): Promise<MediaDownload> {
  const open = opts.open ?? streamRequest;
  const auth = { authorization: `Bearer ${opts.token}` };
  const lookupUrl = `${opts.base.replace(/\/+$/, "")}/${encodeURIComponent(opts.mediaId)}?phone_number_id=${encodeURIComponent(opts.phoneNumberId)}`;
  const lookup = await call(() =>
    open(lookupUrl, { method: "GET", headers: auth, timeoutMs: opts.timeoutMs }),
  );
  const text = await readText(lookup, 64 * 1024);
  if (lookup.status < 200 || lookup.status > 299) {
    throw new MediaFetchError(`media lookup answered ${lookup.status}`, retryableStatus(lookup.status), {
      status: lookup.status,
      body: text.slice(0, 500),
    });
  }
  const info = parseInfo(text);
  if (info.fileSize !== undefined && info.fileSize > opts.maxBytes)
    throw new MediaTooLargeError(opts.maxBytes);

  const file = await call(() => open(info.url, { method: "GET", headers: auth, timeoutMs: opts.timeoutMs }));
  if (file.status < 200 || file.status > 299) {
    file.body.resume();
    // A 404 means the URL expired (contract: "get a new URL"): a retry looks it up again.
    const retry = retryableStatus(file.status) || file.status === 404;
    throw new MediaFetchError(`media download answered ${file.status}`, retry, { status: file.status });
  }
  if (Number(file.headers["content-length"]) > opts.maxBytes) {
    file.body.destroy();
    throw new MediaTooLargeError(opts.maxBytes);
  }
  return {
    mimeType: info.mimeType ?? String(file.headers["content-type"] ?? "application/octet-stream"),
    ...(info.sha256 ? { sha256: info.sha256 } : {}),
    body: file.body,
  };
}

/** Network errors and timeouts are worth another attempt. */
async function call(run: () => Promise<StreamAnswer>): Promise<StreamAnswer> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FlankError) throw err;
    throw new MediaFetchError(`media request failed: ${(err as Error).message}`, true);
  }
}

function parseInfo(text: string): { url: string; mimeType?: string; sha256?: string; fileSize?: number } {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new MediaFetchError("media lookup answered no JSON", true);
  }
  const url = typeof body.url === "string" ? body.url : "";
  if (!/^https?:\/\//i.test(url)) throw new MediaFetchError("media lookup gave no http(s) URL", false);
  return {
    url,
    ...(typeof body.mime_type === "string" ? { mimeType: body.mime_type } : {}),
    ...(typeof body.sha256 === "string" ? { sha256: body.sha256 } : {}),
    ...(typeof body.file_size === "number" ? { fileSize: body.file_size } : {}),
  };
}
