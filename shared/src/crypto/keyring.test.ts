import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createKeyring } from "./keyring.js";
import { keyIdOf, parseEncryptionKey, SecretError } from "./secret-box.js";

const KEY_A = randomBytes(32).toString("hex");
const KEY_B = randomBytes(32).toString("base64");
const TOKEN = "EAABsbCS1iHgBAxyzSECRETwxyz";

/** Flips one bit of the decoded ciphertext part and re-encodes it. */
function flipCiphertextByte(stored: string): string {
  const parts = stored.split(":");
  const data = Buffer.from(parts[4] ?? "", "base64");
  data[0] = (data[0] ?? 0) ^ 0x01;
  parts[4] = data.toString("base64");
  return parts.join(":");
}

describe("keyring", () => {
  it("round-trips a secret in the v1 format, named by the key's id, with a fresh IV each time", () => {
    const ring = createKeyring({ current: KEY_A });
    const sealed = ring.encrypt(TOKEN);
    const id = keyIdOf(parseEncryptionKey(KEY_A));
    expect(sealed).toMatch(new RegExp(`^v1:${id}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$`));
    expect(sealed).not.toContain(TOKEN);
    expect(ring.decrypt(sealed)).toBe(TOKEN);
    expect(ring.encrypt(TOKEN)).not.toBe(sealed);
    expect(ring.currentKeyId).toBe(id);
    expect(ring.isCurrent(sealed)).toBe(true);
  });

  it("accepts base64 keys as well as hex, and unicode secrets", () => {
    const ring = createKeyring({ current: KEY_B });
    expect(ring.decrypt(ring.encrypt("sécret ✓"))).toBe("sécret ✓");
  });

  it("detects a flipped ciphertext byte with a clear error", () => {
    const ring = createKeyring({ current: KEY_A });
    const tampered = flipCiphertextByte(ring.encrypt(TOKEN));
    expect(() => ring.decrypt(tampered)).toThrow(SecretError);
    expect(() => ring.decrypt(tampered)).toThrow(/failed authentication .* altered, or the key is wrong/);
  });

  it("detects a changed tag, and names the form expected for malformed values", () => {
    const ring = createKeyring({ current: KEY_A });
    const parts = ring.encrypt(TOKEN).split(":");
    parts[3] = Buffer.alloc(16).toString("base64");
    expect(() => ring.decrypt(parts.join(":"))).toThrow(/failed authentication/);
    expect(() => ring.decrypt("EAABnotencrypted")).toThrow(/malformed: expected v1:<keyId>/);
    expect(() => ring.decrypt("v1:zz:a:b:c")).toThrow(/malformed/);
  });

  it("reads ciphertext under an old key after rotation and writes only with the current one", () => {
    const before = createKeyring({ current: KEY_A });
    const old = before.encrypt(TOKEN);
    const after = createKeyring({ current: KEY_B, old: [KEY_A] });
    expect(after.decrypt(old)).toBe(TOKEN);
    expect(after.isCurrent(old)).toBe(false);
    const fresh = after.encrypt(TOKEN);
    expect(fresh.split(":")[1]).toBe(keyIdOf(parseEncryptionKey(KEY_B)));
    expect(after.isCurrent(fresh)).toBe(true);
  });

  it("names the unknown key id when the key was dropped from the ring", () => {
    const old = createKeyring({ current: KEY_A }).encrypt(TOKEN);
    const ring = createKeyring({ current: KEY_B });
    const id = keyIdOf(parseEncryptionKey(KEY_A));
    expect(() => ring.decrypt(old)).toThrow(
      new RegExp(`encrypted with key ${id}, which is neither ENCRYPTION_KEY`),
    );
  });

  it("without a key stores plain: values, which a keyed ring still reads and treats as not current", () => {
    const plain = createKeyring({});
    expect(plain.currentKeyId).toBeUndefined();
    expect(plain.encrypt(TOKEN)).toBe(`plain:${TOKEN}`);
    expect(plain.decrypt(`plain:${TOKEN}`)).toBe(TOKEN);
    const keyed = createKeyring({ current: KEY_A });
    expect(keyed.decrypt(`plain:${TOKEN}`)).toBe(TOKEN);
    expect(keyed.isCurrent(`plain:${TOKEN}`)).toBe(false);
  });

  it("refuses keys that are not 32 bytes", () => {
    expect(() => createKeyring({ current: "abcd" })).toThrow(/32 bytes/);
  });
});
