import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.js";
import { createKeyring } from "./keyring.js";
import {
  encryptionKeyProblem,
  keyIdOf,
  parseEncryptionKey,
  parseOldEncryptionKey,
  SecretError,
} from "./secret-box.js";

const KEY_A = randomBytes(32).toString("hex");
const KEY_B = randomBytes(32).toString("base64");
const TOKEN = "EAABsbCS1iHgBAxyzSECRETwxyz";
const AT = { id: "01JINTEGRATION0000000000A", field: "accessToken" };

/** Flips one bit of the decoded ciphertext part and re-encodes it. */
function flipCiphertextByte(stored: string): string {
  const parts = stored.split(":");
  const data = Buffer.from(parts[4] ?? "", "base64");
  data[0] = (data[0] ?? 0) ^ 0x01;
  parts[4] = data.toString("base64");
  return parts.join(":");
}

/** A value as the first format wrote it: `v1:`, AES-256-GCM without associated data. */
function legacyV1(keyText: string, plaintext: string): string {
  const key = parseOldEncryptionKey(keyText);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    "v1",
    keyIdOf(key),
    iv.toString("base64"),
    cipher.getAuthTag().toString("base64"),
    data.toString("base64"),
  ].join(":");
}

describe("keyring", () => {
  it("round-trips a secret in the v2 format, named by the key's id, with a fresh IV each time", () => {
    const ring = createKeyring({ current: KEY_A });
    const sealed = ring.encrypt(TOKEN, AT);
    const id = keyIdOf(parseEncryptionKey(KEY_A));
    expect(sealed).toMatch(new RegExp(`^v2:${id}:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$`));
    expect(sealed).not.toContain(TOKEN);
    expect(ring.decrypt(sealed, AT)).toBe(TOKEN);
    expect(ring.encrypt(TOKEN, AT)).not.toBe(sealed);
    expect(ring.currentKeyId).toBe(id);
    expect(ring.isCurrent(sealed)).toBe(true);
  });

  it("binds a value to its record and field: moved elsewhere, it fails authentication", () => {
    const ring = createKeyring({ current: KEY_A });
    const sealed = ring.encrypt(TOKEN, AT);
    expect(() => ring.decrypt(sealed, { ...AT, id: "01JINTEGRATION0000000000B" })).toThrow(
      /failed authentication .* moved from another record or field/,
    );
    expect(() => ring.decrypt(sealed, { ...AT, field: "appSecret" })).toThrow(SecretError);
  });

  it("accepts base64 keys as well as hex, and unicode secrets", () => {
    const ring = createKeyring({ current: KEY_B });
    expect(ring.decrypt(ring.encrypt("sécret ✓", AT), AT)).toBe("sécret ✓");
  });

  it("detects a flipped ciphertext byte with a clear error", () => {
    const ring = createKeyring({ current: KEY_A });
    const tampered = flipCiphertextByte(ring.encrypt(TOKEN, AT));
    expect(() => ring.decrypt(tampered, AT)).toThrow(SecretError);
    expect(() => ring.decrypt(tampered, AT)).toThrow(/failed authentication .* altered/);
  });

  it("detects a changed tag, and names the form expected for malformed values", () => {
    const ring = createKeyring({ current: KEY_A });
    const parts = ring.encrypt(TOKEN, AT).split(":");
    parts[3] = Buffer.alloc(16).toString("base64");
    expect(() => ring.decrypt(parts.join(":"), AT)).toThrow(/failed authentication/);
    expect(() => ring.decrypt("EAABnotencrypted", AT)).toThrow(/malformed: expected v2:<keyId>/);
    expect(() => ring.decrypt("v2:zz:a:b:c", AT)).toThrow(/malformed/);
  });

  it("reads ciphertext under an old key after rotation and writes only with the current one", () => {
    const before = createKeyring({ current: KEY_A });
    const old = before.encrypt(TOKEN, AT);
    const after = createKeyring({ current: KEY_B, old: [KEY_A] });
    expect(after.decrypt(old, AT)).toBe(TOKEN);
    expect(after.isCurrent(old)).toBe(false);
    const fresh = after.encrypt(TOKEN, AT);
    expect(fresh.split(":")[1]).toBe(keyIdOf(parseEncryptionKey(KEY_B)));
    expect(after.isCurrent(fresh)).toBe(true);
  });

  it("names the unknown key id when the key was dropped from the ring", () => {
    const old = createKeyring({ current: KEY_A }).encrypt(TOKEN, AT);
    const ring = createKeyring({ current: KEY_B });
    const id = keyIdOf(parseEncryptionKey(KEY_A));
    expect(() => ring.decrypt(old, AT)).toThrow(
      new RegExp(`encrypted with key ${id}, which is neither ENCRYPTION_KEY`),
    );
  });

  it("reads v1 values (no associated data) as not current, and reseals them as v2", () => {
    const ring = createKeyring({ current: KEY_A });
    const v1 = legacyV1(KEY_A, TOKEN);
    expect(ring.decrypt(v1, AT)).toBe(TOKEN);
    expect(ring.isCurrent(v1)).toBe(false);
    const resealed = ring.reseal(v1, AT);
    expect(resealed).toMatch(/^v2:/);
    expect(ring.isCurrent(resealed)).toBe(true);
    expect(ring.decrypt(resealed, AT)).toBe(TOKEN);
  });

  it("without a key stores plain: values; a keyed ring refuses them, and only reseal reads them", () => {
    const plain = createKeyring({});
    expect(plain.currentKeyId).toBeUndefined();
    expect(plain.encrypt(TOKEN, AT)).toBe(`plain:${TOKEN}`);
    expect(plain.decrypt(`plain:${TOKEN}`, AT)).toBe(TOKEN);
    const keyed = createKeyring({ current: KEY_A });
    expect(() => keyed.decrypt(`plain:${TOKEN}`, AT)).toThrow(
      /plaintext \(plain:\) although ENCRYPTION_KEY is set: run `flank rotate-keys`/,
    );
    expect(keyed.isCurrent(`plain:${TOKEN}`)).toBe(false);
    expect(keyed.decrypt(keyed.reseal(`plain:${TOKEN}`, AT), AT)).toBe(TOKEN);
  });
});

describe("ENCRYPTION_KEY parsing", () => {
  const random = randomBytes(32);
  it.each([
    ["64 hex characters", random.toString("hex")],
    ["canonical base64 of 32 bytes", random.toString("base64")],
    ["surrounding spaces", ` ${random.toString("hex")} `],
  ])("accepts %s", (_name, key) => {
    expect(encryptionKeyProblem(key)).toBeUndefined();
    expect(parseEncryptionKey(key)).toEqual(random);
  });

  it.each([
    ["all zeros", "0".repeat(64), /pattern/],
    ["one repeated byte", "ab".repeat(32), /pattern/],
    ["a short sequence repeated", "0123456789abcdef".repeat(4), /pattern/],
    ["zeros in base64", Buffer.alloc(32).toString("base64"), /pattern/],
    ["a passphrase", "correct horse battery staple correct horse!!", /expected 32 random bytes/],
    [
      "a passphrase of base64 letters only",
      "correcthorsebatterystaplecorrecthorsebatter=",
      /expected 32 random bytes/,
    ],
    [
      "base64 with an invalid character",
      `${random.toString("base64").slice(0, 20)}*${random.toString("base64").slice(21)}`,
      /expected/,
    ],
    ["base64 without its padding", random.toString("base64").replace(/=$/, ""), /expected/],
    ["base64url", random.toString("base64url"), /expected/],
    ["63 hex characters", random.toString("hex").slice(1), /expected/],
    ["16 bytes", randomBytes(16).toString("base64"), /expected/],
  ])("refuses %s", (_name, key, problem) => {
    expect(encryptionKeyProblem(key)).toMatch(problem);
    expect(() => parseEncryptionKey(key)).toThrow(SecretError);
    expect(() => createKeyring({ current: key })).toThrow(/encryption key rejected/);
  });

  it("is a config error naming the variable (and which old key)", () => {
    expect(() => parseConfig({ ENCRYPTION_KEY: "0".repeat(64) })).toThrow(
      /ENCRYPTION_KEY: the key is a pattern/,
    );
    expect(() => parseConfig({ ENCRYPTION_KEY: "my secret passphrase" })).toThrow(
      /ENCRYPTION_KEY: expected 32 random bytes as 64 hex characters/,
    );
    expect(() =>
      parseConfig({ ENCRYPTION_KEY: random.toString("hex"), ENCRYPTION_KEYS_OLD: `${KEY_A},short` }),
    ).toThrow(/ENCRYPTION_KEYS_OLD: key 2: old encryption key rejected/);
  });

  it("still reads an earlier key the strict rules refuse, in ENCRYPTION_KEYS_OLD, so it can be rotated off", () => {
    const weak = "0".repeat(64);
    const sealedUnderWeak = legacyV1(weak, TOKEN);
    expect(() =>
      parseConfig({ ENCRYPTION_KEY: random.toString("hex"), ENCRYPTION_KEYS_OLD: weak }),
    ).not.toThrow();
    const ring = createKeyring({ current: random.toString("hex"), old: [weak] });
    expect(ring.reseal(sealedUnderWeak, AT)).toMatch(new RegExp(`^v2:${ring.currentKeyId}:`));
  });
});
