import { randomBytes } from "node:crypto";
import { createKeyring } from "@flank/shared/crypto";
import { createIntegrationService } from "@flank/shared/integrations";
import { createMemoryStores, type Stores } from "@flank/shared/store";
import { describe, expect, it } from "vitest";
import { run } from "../cli.js";
import { silentLog, testIo } from "../test-helpers.js";
import { rotateKeysCommand } from "./rotate-keys.js";

const OLD = randomBytes(32).toString("hex");
const NEW = randomBytes(32).toString("hex");
// Config validation wants a URI with STORE=mongo; the test's opener never connects to it.
const MONGO_ENV = { STORE: "mongo", MONGODB_URI: "mongodb://127.0.0.1:1/flank" };

const serviceWith = (stores: Stores, key: string) =>
  createIntegrationService({
    store: stores.integrations,
    keyring: createKeyring({ current: key }),
    log: silentLog(),
  });

describe("flank rotate-keys", () => {
  it("re-encrypts every integration with ENCRYPTION_KEY, reports it, and is a no-op the second time", async () => {
    const stores = createMemoryStores();
    const created = await serviceWith(stores, OLD).create({
      phoneNumberId: "2000001",
      accessToken: "EAAtenantToken0001",
    });
    let closed = 0;
    const command = rotateKeysCommand(async () => ({
      integrations: stores.integrations,
      close: async () => void closed++,
    }));
    const io = testIo({ ...MONGO_ENV, ENCRYPTION_KEY: NEW, ENCRYPTION_KEYS_OLD: OLD });

    expect(await command([], io)).toBe(0);
    expect(io.out.join("")).toBe("rotated 1, already current 0, failed 0\n");
    expect(closed).toBe(1);
    // Readable with the new key alone: the old one can go.
    expect((await serviceWith(stores, NEW).resolve("2000001"))?.integration.accessToken).toBe(
      "EAAtenantToken0001",
    );
    expect((await stores.integrations.get(created.id))?.accessToken).not.toContain("EAAtenantToken0001");

    io.out.length = 0;
    expect(await command([], io)).toBe(0);
    expect(io.out.join("")).toBe("rotated 0, already current 1, failed 0\n");
  });

  it("exits 1 naming the rows no key can read, leaving them unchanged", async () => {
    const stores = createMemoryStores();
    const created = await serviceWith(stores, OLD).create({
      phoneNumberId: "2000002",
      accessToken: "EAAtenantToken0002",
    });
    const stored = (await stores.integrations.get(created.id))?.accessToken;
    const io = testIo({ ...MONGO_ENV, ENCRYPTION_KEY: NEW });
    const command = rotateKeysCommand(async () => ({
      integrations: stores.integrations,
      close: async () => {},
    }));
    expect(await command([], io)).toBe(1);
    expect(io.out.join("")).toContain(`failed 1\n  ${created.id}: `);
    expect((await stores.integrations.get(created.id))?.accessToken).toBe(stored);
  });

  it("refuses the memory store and a missing ENCRYPTION_KEY with clear errors", async () => {
    const memory = testIo({ ENCRYPTION_KEY: NEW });
    expect(await run(["rotate-keys"], memory)).toBe(1);
    expect(memory.err.join("")).toContain("set STORE=mongo and MONGODB_URI");

    const noKey = testIo(MONGO_ENV);
    const command = rotateKeysCommand(async () => ({
      integrations: createMemoryStores().integrations,
      close: async () => {},
    }));
    await expect(command([], noKey)).rejects.toThrow("ENCRYPTION_KEY is required");
  });
});
