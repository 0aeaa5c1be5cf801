import type { Config } from "../config/schema.js";
import {
  decryptWith,
  encryptWith,
  keyIdOf,
  PLAIN_PREFIX,
  parseEncryptionKey,
  parseSealed,
  SECRET_VERSION,
  SecretError,
} from "./secret-box.js";

/**
 * The encryption keys of one process: encrypts with the current key, decrypts with any of them.
 * Without a current key (development only; production refuses to start) values are stored as
 * `plain:<value>` so they are still recognisable and `rotateSecrets` can encrypt them later.
 */
export interface Keyring {
  /** Id of the key new values are encrypted with; undefined in plaintext mode. */
  readonly currentKeyId: string | undefined;
  encrypt(plaintext: string): string;
  /** Throws SecretError when the value is malformed, altered, or under a key not in the ring. */
  decrypt(stored: string): string;
  /** True when the value is already encrypted with the current key (nothing to rotate). */
  isCurrent(stored: string): boolean;
}

export interface KeyringOptions {
  /** ENCRYPTION_KEY. */
  current?: string;
  /** ENCRYPTION_KEYS_OLD: still read, never written. */
  old?: readonly string[];
}

export function createKeyring(opts: KeyringOptions): Keyring {
  const current = opts.current ? parseEncryptionKey(opts.current) : undefined;
  const keys = new Map<string, Buffer>();
  for (const key of [...(current ? [current] : []), ...(opts.old ?? []).map(parseEncryptionKey)]) {
    const id = keyIdOf(key);
    if (!keys.has(id)) keys.set(id, key);
  }
  const currentKeyId = current ? keyIdOf(current) : undefined;

  return {
    currentKeyId,
    encrypt: (plaintext) => (current ? encryptWith(current, plaintext) : `${PLAIN_PREFIX}${plaintext}`),
    decrypt: (stored) => {
      if (stored.startsWith(PLAIN_PREFIX)) return stored.slice(PLAIN_PREFIX.length);
      const sealed = parseSealed(stored);
      const key = keys.get(sealed.keyId);
      if (!key) {
        throw new SecretError(
          `stored secret was encrypted with key ${sealed.keyId}, which is neither ENCRYPTION_KEY${
            currentKeyId ? ` (${currentKeyId})` : ""
          } nor one of ENCRYPTION_KEYS_OLD`,
          { keyId: sealed.keyId },
        );
      }
      return decryptWith(key, sealed);
    },
    isCurrent: (stored) =>
      currentKeyId !== undefined && stored.startsWith(`${SECRET_VERSION}:${currentKeyId}:`),
  };
}

export const keyringFromConfig = (config: Pick<Config, "security">): Keyring =>
  createKeyring({ current: config.security.encryptionKey, old: config.security.encryptionKeysOld });
