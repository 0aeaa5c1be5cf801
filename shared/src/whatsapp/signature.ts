import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-hub-signature-256";

export type SignatureCheck = "ok" | "missing" | "invalid";

const PREFIX = "sha256=";
const HEX_LENGTH = 64;

/** `sha256=<hex>` of the exact bytes, as Meta computes it (docs/whatsapp-contract.md "Signatures"). */
export function signPayload(body: Uint8Array | string, appSecret: string): string {
  return PREFIX + createHmac("sha256", appSecret).update(body).digest("hex");
}

/**
 * Checks X-Hub-Signature-256 over the raw request bytes, before anything is parsed. Hashes the
 * bytes as received (never a re-serialized JSON: Meta's `\uXXXX` escapes would not survive) and
 * compares in constant time after a length check. Fails closed.
 */
export function verifySignature(
  body: Uint8Array,
  header: string | null | undefined,
  appSecret: string,
): SignatureCheck {
  if (!header) return "missing";
  const value = header.trim();
  if (!value.toLowerCase().startsWith(PREFIX)) return "invalid";
  const given = Buffer.from(value.slice(PREFIX.length).toLowerCase(), "utf8");
  if (given.length !== HEX_LENGTH) return "invalid";
  const expected = Buffer.from(createHmac("sha256", appSecret).update(body).digest("hex"), "utf8");
  return timingSafeEqual(given, expected) ? "ok" : "invalid";
}
