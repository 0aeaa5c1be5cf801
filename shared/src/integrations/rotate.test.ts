import { createCipheriv, randomBytes } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createKeyring } from "../crypto/keyring.js";
import { keyIdOf, parseEncryptionKey } from "../crypto/secret-box.js";
import { createMemoryStores } from "../store/memory.js";
import { rotateSecrets } from "./rotate.js";
import { createIntegrationService } from "./service.js";

const OLD = randomBytes(32).toString("hex");
const NEW = randomBytes(32).toString("hex");
const log = pino({ level: "silent" });
const TOKEN_A = "EAABtenantAtoken0001";
const TOKEN_B = "EAABtenantBtoken0002";

async function seed(key: string | undefined) {
  const store = createMemoryStores().integrations;
  const service = createIntegrationService({ store, keyring: createKeyring({ current: key }), log });
  const a = await service.create({
    phoneNumberId: "2000001",
    accessToken: TOKEN_A,
    appSecret: "secret-of-tenant-a",
  });
  const b = await service.create({ phoneNumberId: "2000002", accessToken: TOKEN_B });
  return { store, a, b };
}

describe("rotateSecrets", () => {
  it("re-encrypts every integration to the new key id; old ciphertext stays readable meanwhile", async () => {
    const { store, a, b } = await seed(OLD);
    const rotatedRing = createKeyring({ current: NEW, old: [OLD] });
    // Before rotation the new ring still reads what the old key wrote.
    const beforeRotation = createIntegrationService({ store, keyring: rotatedRing, log });
    expect((await beforeRotation.resolve("2000001"))?.integration.accessToken).toBe(TOKEN_A);

    const report = await rotateSecrets(store, rotatedRing);
    expect(report).toEqual({ rotated: [a.id, b.id], unchanged: 0, failed: [] });
    const rowA = await store.get(a.id);
    expect(rowA?.accessToken.split(":")[1]).toBe(rotatedRing.currentKeyId);
    expect(rowA?.appSecret?.split(":")[1]).toBe(rotatedRing.currentKeyId);

    // After rotation the old key can be dropped.
    const newOnly = createIntegrationService({ store, keyring: createKeyring({ current: NEW }), log });
    expect((await newOnly.resolve("2000001"))?.integration.appSecret).toBe("secret-of-tenant-a");
    expect((await newOnly.resolve("2000002"))?.integration.accessToken).toBe(TOKEN_B);
    expect(await rotateSecrets(store, rotatedRing)).toEqual({ rotated: [], unchanged: 2, failed: [] });
  });

  it("encrypts plain: values written before a key was configured", async () => {
    const { store, a } = await seed(undefined);
    expect((await store.get(a.id))?.accessToken).toBe(`plain:${TOKEN_A}`);
    const ring = createKeyring({ current: NEW });
    await rotateSecrets(store, ring);
    expect((await store.get(a.id))?.accessToken).toMatch(new RegExp(`^v2:${ring.currentKeyId}:`));
  });

  it("plain: values are refused once a key is set, until rotate-keys encrypts them", async () => {
    const { store, a } = await seed(undefined);
    const keyed = createIntegrationService({ store, keyring: createKeyring({ current: NEW }), log });
    await expect(keyed.resolve("2000001")).rejects.toThrow(
      /plaintext \(plain:\) although ENCRYPTION_KEY is set/,
    );
    expect((await keyed.get(a.id))?.accessToken).toBe("****");
    await rotateSecrets(store, createKeyring({ current: NEW }));
    const after = createIntegrationService({ store, keyring: createKeyring({ current: NEW }), log });
    expect((await after.resolve("2000001"))?.integration.accessToken).toBe(TOKEN_A);
  });

  it("rewrites v1 values (no associated data) of the same key as v2, bound to their row", async () => {
    const { store, a, b } = await seed(NEW);
    const key = parseEncryptionKey(NEW);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const data = Buffer.concat([cipher.update(TOKEN_A, "utf8"), cipher.final()]);
    const v1 = [
      "v1",
      keyIdOf(key),
      iv.toString("base64"),
      cipher.getAuthTag().toString("base64"),
      data.toString("base64"),
    ];
    await store.update(a.id, { accessToken: v1.join(":") });
    const ring = createKeyring({ current: NEW });
    expect(await rotateSecrets(store, ring)).toEqual({ rotated: [a.id], unchanged: 1, failed: [] });
    const row = await store.get(a.id);
    expect(row?.accessToken).toMatch(/^v2:/);
    expect(ring.decrypt(row?.accessToken ?? "", { id: a.id, field: "accessToken" })).toBe(TOKEN_A);
    // Copied onto another row, the v2 value no longer reads.
    await store.update(b.id, { accessToken: row?.accessToken ?? "" });
    const service = createIntegrationService({ store, keyring: ring, log });
    await expect(service.resolve("2000002")).rejects.toThrow(/moved from another record or field/);
  });

  it("reports rows it cannot read and leaves them untouched", async () => {
    const { store, a, b } = await seed(OLD);
    const before = await store.get(a.id);
    const report = await rotateSecrets(store, createKeyring({ current: NEW }));
    expect(report.rotated).toEqual([]);
    expect(report.failed.map((f) => f.id)).toEqual([a.id, b.id]);
    expect(report.failed[0]?.error).toMatch(/neither ENCRYPTION_KEY/);
    expect((await store.get(a.id))?.accessToken).toBe(before?.accessToken);
  });

  it("refuses to run without a current key", async () => {
    const { store } = await seed(OLD);
    await expect(rotateSecrets(store, createKeyring({ old: [OLD] }))).rejects.toThrow(
      /ENCRYPTION_KEY is required/,
    );
  });
});
