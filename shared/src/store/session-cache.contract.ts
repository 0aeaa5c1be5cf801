import { waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionCache, SessionEntry } from "./session-cache.js";
import type { Conversation } from "./types.js";

export interface SessionCacheHarness {
  setup?(): Promise<void>;
  /** A cache whose default TTL is `ttlSeconds`. */
  open(ttlSeconds: number): Promise<SessionCache>;
  teardown?(): Promise<void>;
}

let seq = 0;
const uniq = (prefix: string) => `${prefix}${process.pid}${Date.now().toString(36)}${++seq}`;

const conversation = (id: string): Conversation => ({
  id,
  tenant: id.split(":")[0] ?? "",
  user: "16505551234",
  waId: "16505551234",
  stage: "pricing",
  route: "agent:ann",
  agentId: "ann",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:01:00.000Z",
  version: 3,
});

const entry = (n: number, role: SessionEntry["role"] = "user"): SessionEntry => ({
  role,
  text: `line ${n}`,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
});

/** One suite for the memory and Redis session caches. */
export function sessionCacheContract(name: string, harness: SessionCacheHarness): void {
  describe(`session cache contract: ${name}`, () => {
    let cache: SessionCache | undefined;
    const c = () => {
      if (!cache) throw new Error("cache not opened");
      return cache;
    };

    beforeAll(async () => {
      await harness.setup?.();
      cache = await harness.open(3600);
    });
    afterAll(async () => harness.teardown?.());

    it("stores, replaces and returns a conversation snapshot", async () => {
      const id = `${uniq("t")}:16505551234`;
      expect(await c().getConversation(id)).toBeUndefined();
      const conv = conversation(id);
      await c().putConversation(conv);
      expect(await c().getConversation(id)).toEqual(conv);
      const moved = { ...conv, route: "bot" as const, stage: null, version: 4 };
      await c().putConversation(moved);
      expect(await c().getConversation(id)).toEqual(moved);
    });

    it("expires a snapshot after its TTL", async () => {
      const id = `${uniq("t")}:u`;
      await c().putConversation(conversation(id), 1);
      expect(await c().getConversation(id)).toBeDefined();
      await waitFor(async () => (await c().getConversation(id)) === undefined, {
        timeoutMs: 5000,
        intervalMs: 100,
      });
    });

    it("keeps the last `keep` messages and returns the last n, oldest first", async () => {
      const id = `${uniq("t")}:u`;
      for (const n of [1, 2, 3, 4, 5])
        await c().appendMessages(id, [entry(n, n % 2 ? "user" : "assistant")], 3);
      expect(await c().recent(id, 10)).toEqual([entry(3), entry(4, "assistant"), entry(5)]);
      expect(await c().recent(id, 2)).toEqual([entry(4, "assistant"), entry(5)]);
      expect(await c().recent(id, 0)).toEqual([]);
      expect(await c().recent(`${uniq("t")}:u`, 5)).toEqual([]);
    });

    it("appends several entries at once, in order, and keeps the last `keep`", async () => {
      const id = `${uniq("t")}:u`;
      await c().appendMessages(id, [entry(1)], 3);
      await c().appendMessages(id, [entry(2, "assistant"), entry(3), entry(4, "assistant")], 3);
      expect(await c().recent(id, 10)).toEqual([entry(2, "assistant"), entry(3), entry(4, "assistant")]);
      await c().appendMessages(id, [], 3);
      expect(await c().recent(id, 10)).toHaveLength(3);
    });

    it("expires messages with the cache TTL", async () => {
      const short = await harness.open(1);
      const id = `${uniq("t")}:u`;
      await short.appendMessages(id, [entry(1)], 5);
      expect(await short.recent(id, 5)).toHaveLength(1);
      await waitFor(async () => (await short.recent(id, 5)).length === 0, {
        timeoutMs: 5000,
        intervalMs: 100,
      });
    });

    it("clears one conversation only", async () => {
      const [a, b] = [`${uniq("t")}:a`, `${uniq("t")}:b`];
      for (const id of [a, b]) {
        await c().putConversation(conversation(id));
        await c().appendMessages(id, [entry(1)], 5);
      }
      await c().clear(a);
      expect(await c().getConversation(a)).toBeUndefined();
      expect(await c().recent(a, 5)).toEqual([]);
      expect(await c().getConversation(b)).toEqual(conversation(b));
      expect(await c().recent(b, 5)).toEqual([entry(1)]);
    });

    it("returns copies", async () => {
      const id = `${uniq("t")}:u`;
      const conv = conversation(id);
      await c().putConversation(conv);
      conv.stage = "changed";
      const got = await c().getConversation(id);
      if (got) got.route = "queue";
      expect(await c().getConversation(id)).toMatchObject({ stage: "pricing", route: "agent:ann" });
    });

    it("rejects bad sizes", async () => {
      await expect(c().appendMessages("t:u", [entry(1)], 0)).rejects.toThrow(/keep/);
      await expect(c().recent("t:u", -1)).rejects.toThrow(/non-negative/);
    });
  });
}
