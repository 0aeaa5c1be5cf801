import { FlankError } from "@flank/shared/errors";
import { multipartBody, readText, streamRequest } from "@flank/shared/http";
import type { OpenStream } from "./media-download.js";

/** Words of an audio file, streamed to the model (docs/media.md). */
export type Transcriber = (audio: {
  body: AsyncIterable<Uint8Array>;
  mimeType: string;
  filename: string;
}) => Promise<string>;

export class TranscriptionError extends FlankError {
  constructor(message: string, retryable: boolean) {
    super("TranscriptionError", message, { retryable });
  }
}

/**
 * `POST {OPENAI_BASE_URL}/audio/transcriptions` (the OpenAI-compatible endpoint) with TRANSCRIBE_MODEL:
 * the file is streamed from the media store in a multipart body, never loaded whole.
 */
export function createTranscriber(opts: {
  /** OPENAI_BASE_URL, or the openai SDK's default. */
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  open?: OpenStream;
}): Transcriber {
  const open = opts.open ?? streamRequest;
  const url = `${opts.baseUrl.replace(/\/+$/, "")}/audio/transcriptions`;
  return async ({ body, mimeType, filename }) => {
    const form = multipartBody([
      { name: "model", value: opts.model },
      { name: "response_format", value: "json" },
      { name: "file", filename, contentType: mimeType, body },
    ]);
    let answer: Awaited<ReturnType<OpenStream>>;
    try {
      answer = await open(url, {
        method: "POST",
        headers: { authorization: `Bearer ${opts.apiKey}`, "content-type": form.contentType },
        body: form.body,
        timeoutMs: opts.timeoutMs,
      });
    } catch (err) {
      throw new TranscriptionError(`transcription request failed: ${(err as Error).message}`, true);
    }
    const text = await readText(answer, 1024 * 1024);
    if (answer.status < 200 || answer.status > 299) {
      throw new TranscriptionError(
        `transcription answered ${answer.status}: ${text.slice(0, 200)}`,
        answer.status >= 500 || answer.status === 429,
      );
    }
    try {
      const parsed = JSON.parse(text) as { text?: unknown };
      if (typeof parsed.text === "string") return parsed.text.trim();
    } catch {
      // fall through
    }
    throw new TranscriptionError("transcription answered no text", false);
  };
}

/** A file name the endpoint accepts: some servers pick the decoder by its extension. */
export function audioFilename(mimeType: string): string {
  const sub = mimeType.split(";")[0]?.split("/")[1]?.trim() ?? "";
  const ext = {
    mpeg: "mp3",
    "x-m4a": "m4a",
    mp4: "m4a",
    ogg: "ogg",
    opus: "ogg",
    aac: "aac",
    amr: "amr",
    wav: "wav",
  }[sub];
  return `audio.${ext ?? "ogg"}`;
}
