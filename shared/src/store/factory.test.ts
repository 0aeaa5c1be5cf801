import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.js";
import { createSessionCache, createStores } from "./factory.js";
import { MemorySessionCache } from "./session-cache-memory.js";

const log = pino({ level: "silent" });

describe("store factory", () => {
  it("builds memory stores for STORE=memory", async () => {
    const stores = await createStores(parseConfig({ STORE: "memory" }), log);
    expect(await stores.health()).toEqual({ ok: true, backend: "memory" });
  });

  it("keeps MEMORY_MAX_MESSAGES messages in the memory store", async () => {
    const stores = await createStores(parseConfig({ STORE: "memory", MEMORY_MAX_MESSAGES: "100" }), log);
    const base = { conversationId: "1:2", tenant: "1", direction: "inbound", from: "2", to: "1" } as const;
    for (let n = 1; n <= 101; n++)
      await stores.messages.insert({
        ...base,
        id: `m${n}`,
        type: "text",
        timestamp: "",
        statuses: [],
        raw: {},
      });
    expect(await stores.messages.get("m1")).toBeUndefined();
    expect((await stores.messages.get("m2"))?.id).toBe("m2");
  });

  it("refuses mongo without a URI in a hand-built config", async () => {
    const config = parseConfig({});
    await expect(createStores({ ...config, store: { ...config.store, kind: "mongo" } }, log)).rejects.toThrow(
      /MONGODB_URI/,
    );
  });

  it("uses the memory session cache with the configured TTL when there is no Redis", async () => {
    const cache = createSessionCache(parseConfig({ SESSION_TTL_SECONDS: "120" }), undefined, log);
    expect(cache).toBeInstanceOf(MemorySessionCache);
    await cache.appendMessages("t:u", [{ role: "user", text: "hi", at: "2026-01-01T00:00:00.000Z" }], 2);
    expect(await cache.recent("t:u", 2)).toHaveLength(1);
  });
});
