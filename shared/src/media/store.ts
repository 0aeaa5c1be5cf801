import type { Readable } from "node:stream";
import { FlankError } from "../errors.js";

/** What the media store keeps about a file besides its bytes. */
export interface MediaMeta {
  mimeType: string;
  size: number;
  /** Hex SHA-256 of the bytes, computed while they were written. */
  sha256: string;
  /** ISO time the file was stored: retention counts from it. */
  storedAt: string;
  filename?: string;
}

export interface MediaPut {
  mimeType: string;
  filename?: string;
  /** Past this many bytes the write stops, nothing is kept, and `put` rejects with MediaTooLargeError. */
  maxBytes: number;
}

export interface StoredFile {
  meta: MediaMeta;
  /** The bytes as a stream, read as they are sent (never loaded whole). */
  open(): Readable;
}

/**
 * Where inbound media is kept (docs/media.md): by tenant and Meta's media id, so one tenant can
 * never read another's file. Bytes go in and out as streams; a file is visible only once whole.
 */
export interface MediaStore {
  /** Writes the stream; replaces a file stored under the same id. */
  put(tenant: string, id: string, body: AsyncIterable<Uint8Array>, info: MediaPut): Promise<MediaMeta>;
  get(tenant: string, id: string): Promise<StoredFile | undefined>;
  /** True when a file was there. */
  delete(tenant: string, id: string): Promise<boolean>;
  /** Removes files stored before `cutoff` (and partial writes left as old); returns how many files went. */
  sweep(cutoff: Date): Promise<number>;
}

export class MediaTooLargeError extends FlankError {
  constructor(limit: number) {
    super("MediaTooLarge", `media is larger than ${limit} bytes`, { context: { limit }, retryable: false });
  }
}
