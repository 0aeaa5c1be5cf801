import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { FlankError } from "../errors.js";

/**
 * AES-256-GCM for secrets at rest. Stored form: `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`,
 * where keyId names the key (first 8 hex chars of its SHA-256) so several keys can be read during
 * a rotation. Base64 holds no ":", so the five parts split unambiguously.
 */
export const SECRET_VERSION = "v1";
export const PLAIN_PREFIX = "plain:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretError extends FlankError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super("SecretError", message, { context, cause, retryable: false });
  }
}

/** A 32-byte key from 64 hex characters or base64 (as ENCRYPTION_KEY is validated). */
export function parseEncryptionKey(text: string): Buffer {
  const v = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, "hex") : Buffer.from(v, "base64");
  if (key.length !== 32)
    throw new SecretError("encryption key must be 32 bytes (64 hex characters or base64)");
  return key;
}

export const keyIdOf = (key: Buffer): string => createHash("sha256").update(key).digest("hex").slice(0, 8);

export function encryptWith(key: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
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
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

/** The parts of a `v1:` value; throws a SecretError naming the expected form when malformed. */
export function parseSealed(stored: string): SealedSecret {
  const parts = stored.split(":");
  const [version, keyId, iv, tag, data] = parts;
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/;
  if (
    parts.length !== 5 ||
    version !== SECRET_VERSION ||
    !keyId ||
    !/^[0-9a-f]{8}$/.test(keyId) ||
    iv === undefined ||
    tag === undefined ||
    data === undefined ||
    ![iv, tag, data].every((p) => b64.test(p))
  ) {
    throw new SecretError(
      "stored secret is malformed: expected v1:<keyId>:<iv>:<tag>:<data> or plain:<value>",
    );
  }
  const sealed = {
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

/** Decrypts with the given key; a changed byte anywhere fails GCM's authentication check. */
export function decryptWith(key: Buffer, sealed: SealedSecret): string {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.data), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new SecretError(
      `stored secret failed authentication under key ${sealed.keyId}: it was altered, or the key is wrong`,
      { keyId: sealed.keyId },
      err,
    );
  }
}
