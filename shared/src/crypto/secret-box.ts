import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { FlankError } from "../errors.js";

/**
 * AES-256-GCM for secrets at rest. Stored form: `v2:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`,
 * where keyId names the key (first 8 hex chars of its SHA-256) so several keys can be read during
 * a rotation, and the record id and field name are the associated data: a ciphertext copied to
 * another row or field fails authentication. `v1:` values (the same without associated data) are
 * still read, so `flank rotate-keys` can rewrite them as `v2:`. Base64 holds no ":", so the five
 * parts split unambiguously.
 */
export const SECRET_VERSION = "v2";
const LEGACY_VERSION = "v1";
export const PLAIN_PREFIX = "plain:";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretError extends FlankError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super("SecretError", message, { context, cause, retryable: false });
  }
}

/** Where a secret is stored: bound into its ciphertext as associated data. */
export interface SecretContext {
  /** The record's id (an integration's). */
  id: string;
  /** The field holding the secret, e.g. "accessToken". */
  field: string;
}

const associatedData = ({ id, field }: SecretContext): Buffer => Buffer.from(`${id}\u0000${field}`, "utf8");

/** Fewer distinct byte values than this in 32 bytes is a pattern, not a random key. */
const MIN_DISTINCT_BYTES = 16;

export const ENCRYPTION_KEY_FORM =
  "32 random bytes as 64 hex characters or as base64 (44 characters), e.g. the output of `openssl rand -hex 32`";

/**
 * What is wrong with an ENCRYPTION_KEY value, or undefined when it is a usable key: exactly 64 hex
 * characters, or canonical base64 of exactly 32 bytes (no other characters: Node's decoder skips
 * them silently, which made passphrases and typos look like keys), and not a pattern (all zeros,
 * one repeated byte, a short sequence repeated: a random key has about 30 distinct bytes).
 */
export function encryptionKeyProblem(text: string): string | undefined {
  const v = text.trim();
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(v)) key = Buffer.from(v, "hex");
  else if (/^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, "base64").toString("base64") === v)
    key = Buffer.from(v, "base64");
  else return `expected ${ENCRYPTION_KEY_FORM}`;
  if (key.length !== KEY_BYTES) return `expected ${ENCRYPTION_KEY_FORM}`;
  if (new Set(key).size < MIN_DISTINCT_BYTES)
    return `the key is a pattern (all zeros, a repeated byte or sequence), not random: use ${ENCRYPTION_KEY_FORM}`;
  return undefined;
}

/** A 32-byte key as ENCRYPTION_KEY gives it; throws a SecretError saying what is wrong. */
export function parseEncryptionKey(text: string): Buffer {
  const problem = encryptionKeyProblem(text);
  if (problem) throw new SecretError(`encryption key rejected: ${problem}`);
  const v = text.trim();
  return v.length === 64 ? Buffer.from(v, "hex") : Buffer.from(v, "base64");
}

/**
 * An earlier key (ENCRYPTION_KEYS_OLD) as the first releases accepted it: 64 hex characters, or
 * anything Node's lenient base64 decoder turns into 32 bytes. Only read, never written with, so a
 * deployment whose key the strict rules now refuse can still move off it: set a new
 * ENCRYPTION_KEY, put the old one here, run `flank rotate-keys`, then drop it.
 */
export function parseOldEncryptionKey(text: string): Buffer {
  const v = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, "hex") : Buffer.from(v, "base64");
  if (key.length !== KEY_BYTES)
    throw new SecretError(`old encryption key rejected: expected ${ENCRYPTION_KEY_FORM}`);
  return key;
}

export const keyIdOf = (key: Buffer): string => createHash("sha256").update(key).digest("hex").slice(0, 8);

export function encryptWith(key: Buffer, plaintext: string, context: SecretContext): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(associatedData(context));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    SECRET_VERSION,
    keyIdOf(key),
    iv.toString("base64"),
    tag.toString("base64"),
    data.toString("base64"),
  ].join(":");
}

export interface SealedSecret {
  /** v1 (no associated data, read for migration only) or v2. */
  version: typeof SECRET_VERSION | typeof LEGACY_VERSION;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

/** The parts of a `v2:` (or `v1:`) value; throws a SecretError naming the expected form when malformed. */
export function parseSealed(stored: string): SealedSecret {
  const parts = stored.split(":");
  const [version, keyId, iv, tag, data] = parts;
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/;
  if (
    parts.length !== 5 ||
    (version !== SECRET_VERSION && version !== LEGACY_VERSION) ||
    !keyId ||
    !/^[0-9a-f]{8}$/.test(keyId) ||
    iv === undefined ||
    tag === undefined ||
    data === undefined ||
    ![iv, tag, data].every((p) => b64.test(p))
  ) {
    throw new SecretError(`stored secret is malformed: expected ${SECRET_VERSION}:<keyId>:<iv>:<tag>:<data>`);
  }
  const sealed: SealedSecret = {
    version: version as SealedSecret["version"],
    keyId,
    iv: Buffer.from(iv, "base64"),
    tag: Buffer.from(tag, "base64"),
    data: Buffer.from(data, "base64"),
  };
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw new SecretError("stored secret is malformed: wrong IV or tag length", { keyId });
  }
  return sealed;
}

/**
 * Decrypts with the given key; a changed byte anywhere, or a v2 value read for another record or
 * field, fails GCM's authentication check.
 */
export function decryptWith(key: Buffer, sealed: SealedSecret, context: SecretContext): string {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv);
    if (sealed.version === SECRET_VERSION) decipher.setAAD(associatedData(context));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.data), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new SecretError(
      `stored secret failed authentication under key ${sealed.keyId}: it was altered, moved from another record or field, or the key is wrong`,
      { keyId: sealed.keyId, ...context },
      err,
    );
  }
}
