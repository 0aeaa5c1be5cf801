import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import type { ContractContext } from "./store.contract.js";

export function summariesContract({ stores, uniq }: ContractContext): void {
  describe("summaries", () => {
    it("puts, replaces and gets one summary per conversation", async () => {
      const conversationId = `${uniq("t")}:u`;
      expect(await stores().summaries.get(conversationId)).toBeUndefined();
      const first = {
        conversationId,
        text: "likes tea",
        messageCount: 4,
        updatedAt: "2026-01-01T00:00:00.000Z",
      };
      await stores().summaries.put(first);
      expect(await stores().summaries.get(conversationId)).toEqual(first);
      const second = { ...first, text: "likes tea, ordered twice", messageCount: 9 };
      await stores().summaries.put(second);
      expect(await stores().summaries.get(conversationId)).toEqual(second);
    });
  });
}

export function dedupContract({ stores, uniq }: ContractContext): void {
  describe("dedup", () => {
    it("claims a key once until released", async () => {
      const key = uniq("k");
      expect(await stores().dedup.claim(key, 60)).toBe(true);
      expect(await stores().dedup.claim(key, 60)).toBe(false);
      await stores().dedup.release(key);
      expect(await stores().dedup.claim(key, 60)).toBe(true);
      await expect(stores().dedup.release(uniq("never-claimed"))).resolves.toBeUndefined();
    });

    it("lets exactly one of concurrent claims win", async () => {
      const key = uniq("k");
      const claims = await Promise.all([1, 2, 3, 4, 5].map(() => stores().dedup.claim(key, 60)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it("frees a key when its TTL passes", async () => {
      const key = uniq("k");
      expect(await stores().dedup.claim(key, 1)).toBe(true);
      expect(await stores().dedup.claim(key, 1)).toBe(false);
      await waitFor(() => stores().dedup.claim(key, 60), { timeoutMs: 5000, intervalMs: 100, what: "ttl" });
      expect(await stores().dedup.claim(key, 60)).toBe(false);
    });

    it("rejects a non-positive TTL", async () => {
      await expect(stores().dedup.claim(uniq("k"), 0)).rejects.toThrow(/ttlSeconds/);
    });
  });
}
