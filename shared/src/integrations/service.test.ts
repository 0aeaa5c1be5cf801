import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createKeyring } from "../crypto/keyring.js";
import { createLogger } from "../log/logger.js";
import { createMemoryStores } from "../store/memory.js";
import type { IntegrationStore } from "../store/types.js";
import { IntegrationConflict, IntegrationInvalid } from "./errors.js";
import { createIntegrationService, type IntegrationServiceDeps } from "./service.js";

const KEY = randomBytes(32).toString("hex");
const TOKEN = "EAABsbCS1iHgBAtokenSECRETwxyz";
const APP_SECRET = "app-secret-0123456789abcd";
const VERIFY = "verify-token-for-tenant-a";
const ENV_TOKEN = "EAAenvironmentTOKEN5678";
const ENV_SECRET = "global-app-secret-9999";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: "trace", destination }) };
}

/** A store whose phone-number lookups are counted, to see what the cache saves. */
function countingStore(inner: IntegrationStore) {
  const counts = { byPhone: 0 };
  const store: IntegrationStore = {
    create: (i) => inner.create(i),
    get: (id) => inner.get(id),
    getByPhoneNumberId: (p) => {
      counts.byPhone++;
      return inner.getByPhoneNumberId(p);
    },
    getByVerifyToken: (t) => inner.getByVerifyToken(t),
    list: () => inner.list(),
    update: (id, p) => inner.update(id, p),
    delete: (id) => inner.delete(id),
  };
  return { store, counts };
}

function setup(opts: Partial<IntegrationServiceDeps> & { key?: string | null } = {}) {
  const { lines, log } = capture();
  const { store, counts } = countingStore(createMemoryStores().integrations);
  let clock = Date.parse("2025-01-01T00:00:00Z");
  const keyring = createKeyring({ current: opts.key === null ? undefined : (opts.key ?? KEY) });
  const service = createIntegrationService({
    store,
    keyring,
    log,
    now: () => clock,
    env: {
      phoneNumberId: "1000001",
      accessToken: ENV_TOKEN,
      verifyToken: "env-verify-token",
      appSecret: ENV_SECRET,
    },
    ...opts,
  });
  return { service, store, counts, lines, keyring, advance: (ms: number) => (clock += ms) };
}

const input = (extra: Record<string, unknown> = {}) => ({
  phoneNumberId: "2000002",
  accessToken: TOKEN,
  verifyToken: VERIFY,
  appSecret: APP_SECRET,
  agentFlowId: "sales",
  ...extra,
});

describe("integration service: writes", () => {
  it("encrypts secrets at rest and answers with them masked", async () => {
    const { service, store, keyring } = setup();
    const created = await service.create(input());
    expect(created.accessToken).toBe("****wxyz");
    expect(created.appSecret).toBe("****abcd");
    expect(created.verifyToken).toBe(VERIFY);
    expect(created.enabled).toBe(true);
    const row = await store.get(created.id);
    expect(row?.accessToken).toMatch(new RegExp(`^v2:${keyring.currentKeyId}:`));
    expect(row?.appSecret).toMatch(/^v2:/);
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect(JSON.stringify(row)).not.toContain(APP_SECRET);
    for (const view of [await service.get(created.id), (await service.list())[0]]) {
      expect(view?.accessToken).toBe("****wxyz");
      expect(view?.appSecret).toBe("****abcd");
    }
  });

  it("generates a verify token when none is given", async () => {
    const { service } = setup();
    const created = await service.create(input({ verifyToken: undefined }));
    expect(created.verifyToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("names every bad field, and the field already taken", async () => {
    const { service } = setup();
    const bad = service.create(
      input({ phoneNumberId: "12ab", accessToken: "x", templateFallback: { name: "Bad Name" } }),
    );
    await expect(bad).rejects.toBeInstanceOf(IntegrationInvalid);
    const err = await bad.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof IntegrationInvalid)) throw new Error("expected IntegrationInvalid");
    expect(err.problems.map((p) => p.path).sort()).toEqual([
      "accessToken",
      "phoneNumberId",
      "templateFallback.language",
      "templateFallback.name",
    ]);
    await service.create(input());
    await expect(service.create(input({ verifyToken: "another-verify-token" }))).rejects.toMatchObject({
      name: "IntegrationConflict",
      field: "phoneNumberId",
    });
    await expect(service.create(input({ phoneNumberId: "3000003" }))).rejects.toBeInstanceOf(
      IntegrationConflict,
    );
  });

  it("updates re-encrypt a new token, and answer undefined for an unknown id", async () => {
    const { service, store } = setup();
    const created = await service.create(input());
    const updated = await service.update(created.id, {
      accessToken: "EAABnewTOKENvalue1234",
      enabled: false,
    });
    expect(updated?.accessToken).toBe("****1234");
    expect(updated?.enabled).toBe(false);
    expect((await store.get(created.id))?.accessToken).toMatch(/^v2:/);
    expect(await service.update("nope", { enabled: true })).toBeUndefined();
    await expect(service.update(created.id, {})).rejects.toThrow(/at least one field/);
  });
});

describe("integration service: routing by tenant", () => {
  it("resolves a stored number with decrypted secrets, else the environment's, else nothing", async () => {
    const { service } = setup();
    const created = await service.create(input());
    const stored = await service.resolve("2000002");
    expect(stored?.source).toBe("store");
    expect(stored?.integration.id).toBe(created.id);
    expect(stored?.integration.accessToken).toBe(TOKEN);
    expect(stored?.integration.appSecret).toBe(APP_SECRET);
    const env = await service.resolve("1000001");
    expect(env?.source).toBe("env");
    expect(env?.integration.accessToken).toBe(ENV_TOKEN);
    expect(await service.resolve("9999999")).toBeUndefined();
  });

  it("treats a disabled integration as unknown, even when the environment has the same number", async () => {
    const { service } = setup();
    const created = await service.create(input({ phoneNumberId: "1000001" }));
    expect((await service.resolve("1000001"))?.source).toBe("store");
    await service.update(created.id, { enabled: false });
    expect(await service.resolve("1000001")).toBeUndefined();
  });

  it("caches lookups for the TTL, and forgets them on update and delete", async () => {
    const { service, counts, advance } = setup({ cacheTtlMs: 5000 });
    const created = await service.create(input());
    await Promise.all([service.resolve("2000002"), service.resolve("2000002")]);
    await service.resolve("2000002");
    expect(counts.byPhone).toBe(1);
    advance(5001);
    await service.resolve("2000002");
    expect(counts.byPhone).toBe(2);
    await service.update(created.id, { agentFlowId: "support" });
    expect((await service.resolve("2000002"))?.integration.agentFlowId).toBe("support");
    expect(counts.byPhone).toBe(3);
    await service.delete(created.id);
    expect(await service.resolve("2000002")).toBeUndefined();
  });

  it("remembers unknown numbers apart: a flood of them never pushes known numbers out", async () => {
    const { service, counts, advance } = setup({ cacheTtlMs: 5000 });
    await service.create(input());
    expect((await service.lookup("2000002")).state).toBe("enabled");
    expect(counts.byPhone).toBe(1);
    for (let i = 0; i < 12_000; i++) expect((await service.lookup(`9${i}`)).state).toBe("unknown");
    expect(counts.byPhone).toBe(12_001);
    // The known number is still cached, and so are the unknown ones.
    await service.resolve("2000002");
    await service.lookup("90");
    expect(counts.byPhone).toBe(12_001);
    advance(5001);
    await service.lookup("90");
    expect(counts.byPhone).toBe(12_002);
  });

  it("tells a disabled number from an unknown one", async () => {
    const { service } = setup();
    await service.create(input({ enabled: false }));
    expect(await service.lookup("2000002")).toEqual({ state: "disabled" });
    expect(await service.lookup("2999999")).toEqual({ state: "unknown" });
    expect((await service.lookup("1000001")).state).toBe("enabled");
  });

  it("resolves verify tokens from the store and the environment", async () => {
    const { service } = setup();
    const created = await service.create(input());
    expect((await service.resolveByVerifyToken(VERIFY))?.integration.id).toBe(created.id);
    expect((await service.resolveByVerifyToken("env-verify-token"))?.source).toBe("env");
    expect(await service.resolveByVerifyToken("wrong-token")).toBeUndefined();
    expect(await service.resolveByVerifyToken("")).toBeUndefined();
  });

  it("gives each number its own app secret, falling back to the global one", async () => {
    const { service } = setup();
    await service.create(input());
    await service.create(
      input({ phoneNumberId: "3000003", verifyToken: "tenant-b-verify", appSecret: undefined }),
    );
    expect(await service.appSecretFor("2000002")).toBe(APP_SECRET);
    expect(await service.appSecretFor("3000003")).toBe(ENV_SECRET);
    expect(await service.appSecretFor("9999999")).toBe(ENV_SECRET);
  });
});

describe("integration service: secrets stay out of logs", () => {
  it("logs create, update, resolve and list without any secret", async () => {
    const { service, lines } = setup();
    const created = await service.create(input());
    await service.update(created.id, {
      accessToken: "EAABrotatedTOKEN4321",
      appSecret: "new-app-secret-777",
    });
    await service.resolve("2000002");
    await service.resolveByVerifyToken(VERIFY);
    await service.list();
    const all = lines.join("");
    expect(all).toContain("integration created");
    expect(all).toContain("integration updated");
    for (const secret of [TOKEN, APP_SECRET, VERIFY, "EAABrotatedTOKEN4321", "new-app-secret-777", KEY]) {
      expect(all).not.toContain(secret);
    }
  });

  it("without ENCRYPTION_KEY stores plain: values and warns exactly once", async () => {
    const { service, store, lines } = setup({ key: null });
    const created = await service.create(input());
    await service.create(input({ phoneNumberId: "3000003", verifyToken: "tenant-b-verify" }));
    expect((await store.get(created.id))?.accessToken).toBe(`plain:${TOKEN}`);
    expect(created.accessToken).toBe("****wxyz");
    const warnings = lines.filter((l) => l.includes("ENCRYPTION_KEY is not set"));
    expect(warnings).toHaveLength(1);
    expect(lines.join("")).not.toContain(TOKEN);
  });
});
