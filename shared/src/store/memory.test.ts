import { describe, expect, it } from "vitest";
import { createMemoryStores } from "./memory.js";
import { storeContract } from "./store.contract.js";

storeContract("memory", { backend: "memory", open: async () => createMemoryStores() });

describe("memory message store", () => {
  it("keeps the latest maxMessages, dropping the oldest and its wamid", async () => {
    const { messages } = createMemoryStores({ maxMessages: 2 });
    const at = "2026-09-01T00:00:00.000Z";
    for (const n of [1, 2, 3]) {
      await messages.insert({
        id: `m${n}`,
        wamid: `wamid.${n}`,
        conversationId: "1:2",
        tenant: "1",
        direction: "inbound",
        from: "2",
        to: "1",
        type: "text",
        timestamp: at,
        statuses: [],
        raw: {},
      });
    }
    expect(await messages.get("m1")).toBeUndefined();
    expect(await messages.getByWamid("wamid.1")).toBeUndefined();
    expect((await messages.getByWamid("wamid.3"))?.id).toBe("m3");
    expect((await messages.listByConversation("1:2", { limit: 10 })).items.map((m) => m.id)).toEqual([
      "m2",
      "m3",
    ]);
  });
});

describe("memory dedup store", () => {
  it("remembers as many claims as the store keeps messages, forgetting the oldest first", async () => {
    const { dedup } = createMemoryStores({ maxMessages: 100 });
    const week = 7 * 24 * 3600;
    for (let n = 0; n < 150; n++) expect(await dedup.claim(`k${n}`, week)).toBe(true);
    // Within their TTL the newest 100 still hold; the 50 oldest were forgotten.
    expect(await dedup.claim("k149", week)).toBe(false);
    expect(await dedup.claim("k50", week)).toBe(false);
    expect(await dedup.claim("k49", week)).toBe(true);
  });
});
