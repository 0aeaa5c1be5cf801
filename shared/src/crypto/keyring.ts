import type { Config } from "../config/schema.js";
import {
  decryptWith,
  encryptWith,
  keyIdOf,
  PLAIN_PREFIX,
  parseEncryptionKey,
  parseOldEncryptionKey,
  parseSealed,
  SECRET_VERSION,
  type SecretContext,
  SecretError,
} from "./secret-box.js";

/**
 * The encryption keys of one process: encrypts with the current key, decrypts with any of them.
 * Every value is bound to its record and field (`SecretContext`). Without a current key
 * (development only; production refuses to start) values are stored as `plain:<value>`; once a
 * key is set those are refused (a row an attacker could write in clear would otherwise be
 * trusted) until `flank rotate-keys` has encrypted them.
 */
export interface Keyring {
  /** Id of the key new values are encrypted with; undefined in plaintext mode. */
  readonly currentKeyId: string | undefined;
  encrypt(plaintext: string, context: SecretContext): string;
  /**
   * Throws SecretError when the value is malformed, altered, stored for another record or field,
   * under a key not in the ring, or `plain:` while a key is set.
   */
  decrypt(stored: string, context: SecretContext): string;
  /** True when the value is already in the current format under the current key (nothing to rotate). */
  isCurrent(stored: string): boolean;
  /**
   * The value re-encrypted with the current key in the current format, for `rotateSecrets` only:
   * it also reads `plain:` values and `v1:` ones (no associated data), to migrate them.
   */
  reseal(stored: string, context: SecretContext): string;
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
  for (const key of [...(current ? [current] : []), ...(opts.old ?? []).map(parseOldEncryptionKey)]) {
    const id = keyIdOf(key);
    if (!keys.has(id)) keys.set(id, key);
  }
  const currentKeyId = current ? keyIdOf(current) : undefined;

  const open = (stored: string, context: SecretContext): string => {
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
    return decryptWith(key, sealed, context);
  };
  const encrypt = (plaintext: string, context: SecretContext) =>
    current ? encryptWith(current, plaintext, context) : `${PLAIN_PREFIX}${plaintext}`;

  return {
    currentKeyId,
    encrypt,
    decrypt: (stored, context) => {
      if (!stored.startsWith(PLAIN_PREFIX)) return open(stored, context);
      if (current) {
        throw new SecretError(
          `stored ${context.field} of ${context.id} is plaintext (plain:) although ENCRYPTION_KEY is set: run \`flank rotate-keys\` to encrypt it`,
          { ...context },
        );
      }
      return stored.slice(PLAIN_PREFIX.length);
    },
    isCurrent: (stored) =>
      currentKeyId !== undefined && stored.startsWith(`${SECRET_VERSION}:${currentKeyId}:`),
    reseal: (stored, context) =>
      encrypt(
        stored.startsWith(PLAIN_PREFIX) ? stored.slice(PLAIN_PREFIX.length) : open(stored, context),
        context,
      ),
  };
}

export const keyringFromConfig = (config: Pick<Config, "security">): Keyring =>
  createKeyring({ current: config.security.encryptionKey, old: config.security.encryptionKeysOld });
