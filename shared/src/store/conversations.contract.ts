import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import type { ContractContext } from "./store.contract.js";
import type { Conversation, ConversationDraft, ConversationFilter } from "./types.js";

/** Waits until the clock has moved, so the next save gets a later `updatedAt`. Polls, never sleeps. */
async function clockTick(): Promise<void> {
  const start = Date.now();
  await waitFor(() => Date.now() > start + 1, { intervalMs: 1 });
}

export function conversationsContract({ stores, uniq }: ContractContext): void {
  const draft = (
    tenant: string,
    user: string,
    extra: Partial<ConversationDraft> = {},
  ): ConversationDraft => ({
    id: `${tenant}:${user}`,
    tenant,
    user,
    waId: user,
    stage: "welcome",
    route: "bot",
    ...extra,
  });
  const create = async (d: ConversationDraft): Promise<Conversation> => {
    const r = await stores().conversations.save(d, 0);
    if (!r.ok) throw new Error(`create ${d.id} conflicted`);
    return r.conversation;
  };

  describe("conversations", () => {
    it("creates with version 1 and refuses a second create", async () => {
      const d = draft(uniq("t"), "16505551234");
      expect(await stores().conversations.get(d.id)).toBeUndefined();
      const first = await stores().conversations.save(d, 0);
      expect(first).toMatchObject({ ok: true, conversation: { ...d, version: 1 } });
      if (!first.ok) return;
      expect(first.conversation.createdAt).toBe(first.conversation.updatedAt);
      expect(await stores().conversations.get(d.id)).toEqual(first.conversation);

      const again = await stores().conversations.save({ ...d, stage: "other" }, 0);
      expect(again).toEqual({ ok: false, current: first.conversation });
    });

    it("updates only from the stored version and keeps createdAt", async () => {
      const d = draft(uniq("t"), "u1");
      const v1 = await create(d);
      await clockTick();
      const v2 = await stores().conversations.save({ ...v1, stage: "pricing" }, 1);
      expect(v2).toMatchObject({
        ok: true,
        conversation: { stage: "pricing", version: 2, createdAt: v1.createdAt },
      });
      if (!v2.ok) return;
      expect(v2.conversation.updatedAt > v1.updatedAt).toBe(true);

      const stale = await stores().conversations.save({ ...d, stage: "lost" }, 1);
      expect(stale).toEqual({ ok: false, current: v2.conversation });
      const missing = await stores().conversations.save(draft(uniq("t"), "nobody"), 3);
      expect(missing).toEqual({ ok: false, current: undefined });
    });

    it("clears optional fields the draft leaves out and ignores a stray version", async () => {
      const v1 = await create(
        draft(uniq("t"), "u1", { route: "agent:ann", agentId: "ann", profileName: "Bo" }),
      );
      const { agentId: _dropped, ...released } = v1;
      const v2 = await stores().conversations.save(
        { ...released, route: "bot", version: 99 } as ConversationDraft,
        1,
      );
      expect(v2.ok).toBe(true);
      const stored = await stores().conversations.get(v1.id);
      expect(stored?.agentId).toBeUndefined();
      expect(stored).toMatchObject({ route: "bot", profileName: "Bo", version: 2 });
    });

    it("keeps a pause for a person (route human) and clears it when the bot takes over", async () => {
      const until = "2026-06-01T10:30:00.000Z";
      const v1 = await create(
        draft(uniq("t"), "u1", { route: "human", pausedUntil: until, pauseReason: "answered from the app" }),
      );
      expect(await stores().conversations.get(v1.id)).toMatchObject({ route: "human", pausedUntil: until });
      const v2 = await stores().conversations.save(
        { ...v1, route: "bot", pausedUntil: undefined, pauseReason: undefined },
        1,
      );
      expect(v2.ok).toBe(true);
      const stored = await stores().conversations.get(v1.id);
      expect(stored?.route).toBe("bot");
      expect(stored?.pausedUntil).toBeUndefined();
      expect(stored?.pauseReason).toBeUndefined();
    });

    it("lets exactly one of concurrent saves win", async () => {
      const d = draft(uniq("t"), "u1");
      const creates = await Promise.all(
        [0, 1, 2, 3].map((n) => stores().conversations.save({ ...d, stage: `s${n}` }, 0)),
      );
      expect(creates.filter((r) => r.ok)).toHaveLength(1);

      const updates = await Promise.all(
        [0, 1, 2, 3, 4].map((n) => stores().conversations.save({ ...d, stage: `u${n}` }, 1)),
      );
      const winners = updates.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const stored = await stores().conversations.get(d.id);
      expect(stored?.version).toBe(2);
      expect(winners[0]?.ok && winners[0].conversation.stage).toBe(stored?.stage);
    });

    it("returns copies the caller cannot use to change the store", async () => {
      const c = await create(draft(uniq("t"), "u1"));
      c.stage = "tampered";
      const got = await stores().conversations.get(c.id);
      if (got) got.route = "queue";
      expect(await stores().conversations.get(c.id)).toMatchObject({ stage: "welcome", route: "bot" });
    });

    it("lists by filter, most recently updated first", async () => {
      const tenant = uniq("t");
      const other = uniq("t");
      const a = await create(draft(tenant, "a", { stage: "welcome" }));
      await clockTick();
      await create(draft(tenant, "b", { stage: "pricing", route: "agent:ann", agentId: "ann" }));
      await clockTick();
      await create(draft(tenant, "c", { stage: "pricing", route: "queue" }));
      await create(draft(other, "a"));
      await clockTick();
      await stores().conversations.save({ ...a, stage: "pricing" }, 1);

      const ids = async (filter: ConversationFilter) =>
        (await stores().conversations.list(filter, { limit: 50 })).items.map((c) => c.user);
      expect(await ids({ tenant })).toEqual(["a", "c", "b"]);
      expect(await ids({ tenant, stage: "pricing", route: "queue" })).toEqual(["c"]);
      expect(await ids({ tenant, route: "agent:ann" })).toEqual(["b"]);
      expect(await ids({ tenant, agentId: "ann" })).toEqual(["b"]);
      expect(await ids({ tenant: other })).toEqual(["a"]);
      expect(await ids({ tenant: uniq("t") })).toEqual([]);
      // An agent's tenants: any of them, combined with the other filters.
      expect(await ids({ tenants: [tenant, uniq("t")], route: "queue" })).toEqual(["c"]);
      expect((await ids({ tenants: [other, tenant] })).sort()).toEqual(["a", "a", "b", "c"]);
      expect(await ids({ tenants: [] })).toEqual([]);
      expect(await ids({ tenants: [tenant], tenant: other })).toEqual([]);
    });

    it("counts by filter (the queue length)", async () => {
      const tenant = uniq("t");
      await create(draft(tenant, "a", { route: "queue" }));
      await create(draft(tenant, "b", { route: "queue" }));
      await create(draft(tenant, "c", { route: "agent:ann", agentId: "ann" }));
      expect(await stores().conversations.count({ tenant, route: "queue" })).toBe(2);
      expect(await stores().conversations.count({ tenants: [tenant] })).toBe(3);
      expect(await stores().conversations.count({ tenant, agentId: "ann" })).toBe(1);
      expect(await stores().conversations.count({ tenant: uniq("t") })).toBe(0);
      expect(await stores().conversations.count({ route: "queue" })).toBeGreaterThanOrEqual(2);
    });

    it("keeps the unread count and the time waiting for an agent, and clears them", async () => {
      const since = "2026-01-01T10:00:00.000Z";
      const v1 = await create(
        draft(uniq("t"), "u1", { route: "queue", unread: 3, awaitingAgentSince: since }),
      );
      expect(await stores().conversations.get(v1.id)).toMatchObject({ unread: 3, awaitingAgentSince: since });
      const { awaitingAgentSince: _cleared, ...rest } = v1;
      await stores().conversations.save({ ...rest, unread: 0 }, 1);
      const stored = await stores().conversations.get(v1.id);
      expect(stored?.unread).toBe(0);
      expect(stored?.awaitingAgentSince).toBeUndefined();
    });

    it("pages with opaque cursors, without gaps or repeats", async () => {
      const tenant = uniq("t");
      const users = ["u1", "u2", "u3", "u4", "u5"];
      for (const u of users) {
        await create(draft(tenant, u));
        await clockTick();
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await stores().conversations.list(
          { tenant },
          { limit: 2, ...(cursor ? { cursor } : {}) },
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((c) => c.user));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...users].reverse());
      expect(pages).toBe(3);

      const exact = await stores().conversations.list({ tenant }, { limit: 5 });
      expect(exact.items).toHaveLength(5);
      expect(exact.nextCursor).toBeUndefined();
    });

    it("rejects a bad cursor or limit", async () => {
      await expect(stores().conversations.list({}, { limit: 2, cursor: "not a cursor" })).rejects.toThrow(
        /cursor/,
      );
      await expect(stores().conversations.list({}, { limit: 0 })).rejects.toThrow(/limit/);
    });
  });
}
