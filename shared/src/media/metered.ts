import { createHash } from "node:crypto";
import { MediaTooLargeError } from "./store.js";

/** A running count and hash of the bytes passing through `metered`. */
export interface Meter {
  size: number;
  digest(): string;
}

/**
 * Passes chunks through as they come (none is joined with another), counting and hashing them;
 * throws MediaTooLargeError once the total passes `maxBytes`, which ends the pipeline it is in.
 */
export function meter(maxBytes: number): {
  meter: Meter;
  pass: (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>;
} {
  const hash = createHash("sha256");
  const m: Meter = { size: 0, digest: () => hash.digest("hex") };
  return {
    meter: m,
    async *pass(source) {
      for await (const chunk of source) {
        m.size += chunk.byteLength;
        if (m.size > maxBytes) throw new MediaTooLargeError(maxBytes);
        hash.update(chunk);
        yield chunk;
      }
    },
  };
}
