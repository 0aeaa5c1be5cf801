import { describe, expect, it } from "vitest";
import type { StatusValue } from "../events/inbound.js";
import type { ContractContext } from "./store.contract.js";
import type { StoredMessage } from "./types.js";

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const status = (s: StatusValue, second: number) => ({ status: s, timestamp: at(second) });

export function messagesContract({ stores, uniq }: ContractContext): void {
  const message = (
    tenant: string,
    user: string,
    n: number,
    extra: Partial<StoredMessage> = {},
  ): StoredMessage => ({
    id: uniq(`m${n}-`),
    conversationId: `${tenant}:${user}`,
    tenant,
    direction: "inbound",
    from: user,
    to: tenant,
    type: "text",
    body: `hello ${n}`,
    timestamp: at(n),
    statuses: [],
    raw: { n, nested: { text: `hello ${n}` } },
    ...extra,
  });

  describe("messages", () => {
    it("inserts once by id and keeps the first copy", async () => {
      const m = message(uniq("t"), "u", 1);
      expect(await stores().messages.insert(m)).toBe(true);
      expect(await stores().messages.insert({ ...m, body: "replayed" })).toBe(false);
      expect(await stores().messages.get(m.id)).toEqual(m);
      expect(await stores().messages.get(uniq("nope"))).toBeUndefined();
    });

    it("finds an outbound message by the wamid set after sending", async () => {
      const m = message(uniq("t"), "u", 1, { direction: "outbound", status: "queued" });
      await stores().messages.insert(m);
      const wamid = uniq("wamid.");
      expect(await stores().messages.getByWamid(wamid)).toBeUndefined();
      await stores().messages.setWamid(m.id, wamid);
      expect(await stores().messages.getByWamid(wamid)).toEqual({ ...m, wamid });
      await expect(stores().messages.setWamid(uniq("missing"), uniq("wamid."))).resolves.toBeUndefined();
    });

    it("records status history: applied, stale, duplicate, unknown", async () => {
      const wamid = uniq("wamid.");
      const m = message(uniq("t"), "u", 1, { direction: "outbound", status: "queued", wamid });
      await stores().messages.insert(m);

      expect(await stores().messages.addStatus(uniq("wamid."), status("sent", 2))).toBe("unknown");
      expect(await stores().messages.addStatus(wamid, status("sent", 2))).toBe("applied");
      expect(await stores().messages.addStatus(wamid, status("read", 4))).toBe("applied");
      expect(await stores().messages.addStatus(wamid, status("delivered", 3))).toBe("stale");
      expect(await stores().messages.addStatus(wamid, status("read", 4))).toBe("duplicate");
      expect(await stores().messages.addStatus(wamid, status("failed", 5))).toBe("stale");

      const stored = await stores().messages.getByWamid(wamid);
      expect(stored?.status).toBe("read");
      expect(stored?.statuses.map((s) => s.status)).toEqual(["sent", "read", "delivered", "failed"]);
    });

    it("applies failed over sent and keeps its errors", async () => {
      const wamid = uniq("wamid.");
      await stores().messages.insert(message(uniq("t"), "u", 1, { direction: "outbound", wamid }));
      await stores().messages.addStatus(wamid, status("sent", 2));
      const failed = { ...status("failed", 3), errors: [{ code: 131049, title: "ecosystem" }] };
      expect(await stores().messages.addStatus(wamid, failed)).toBe("applied");
      const stored = await stores().messages.getByWamid(wamid);
      expect(stored?.status).toBe("failed");
      expect(stored?.statuses[1]).toEqual(failed);
    });

    it("applies concurrent statuses without losing any", async () => {
      const wamid = uniq("wamid.");
      await stores().messages.insert(message(uniq("t"), "u", 1, { direction: "outbound", wamid }));
      const results = await Promise.all(
        (["sent", "delivered", "read"] as const).map((s, i) =>
          stores().messages.addStatus(wamid, status(s, i)),
        ),
      );
      expect(results.every((r) => r === "applied" || r === "stale")).toBe(true);
      const stored = await stores().messages.getByWamid(wamid);
      expect(stored?.status).toBe("read");
      expect(stored?.statuses.map((s) => s.status).sort()).toEqual(["delivered", "read", "sent"]);
    });

    it("returns copies", async () => {
      const m = message(uniq("t"), "u", 1);
      await stores().messages.insert(m);
      m.body = "changed after insert";
      const got = await stores().messages.get(m.id);
      got?.statuses.push(status("read", 9));
      expect(await stores().messages.get(m.id)).toMatchObject({ body: "hello 1", statuses: [] });
    });

    it("lists a conversation oldest first, in pages", async () => {
      const tenant = uniq("t");
      const inserted = [3, 1, 5, 2, 4].map((n) => message(tenant, "u", n));
      for (const m of inserted) await stores().messages.insert(m);
      await stores().messages.insert(message(tenant, "someone-else", 0));

      const conversationId = `${tenant}:u`;
      const first = await stores().messages.listByConversation(conversationId, { limit: 3 });
      expect(first.items.map((m) => m.body)).toEqual(["hello 1", "hello 2", "hello 3"]);
      expect(first.nextCursor).toBeTypeOf("string");
      const second = await stores().messages.listByConversation(conversationId, {
        limit: 3,
        ...(first.nextCursor ? { cursor: first.nextCursor } : {}),
      });
      expect(second.items.map((m) => m.body)).toEqual(["hello 4", "hello 5"]);
      expect(second.nextCursor).toBeUndefined();
    });

    it("lists a user's messages across tenants: the last `limit`, oldest first", async () => {
      const user = uniq("1650");
      const [t1, t2] = [uniq("t"), uniq("t")];
      await stores().messages.insert(message(t1, user, 1));
      await stores().messages.insert(message(t1, user, 2, { direction: "outbound", from: t1, to: user }));
      await stores().messages.insert(message(t2, user, 3));
      // Conversation keyed by BSUID while the message names the wa_id: found through `from`.
      await stores().messages.insert(message(t2, "US.123", 4, { from: user }));
      await stores().messages.insert(message(t1, uniq("other"), 5));

      const all = await stores().messages.listByUser(user, 0);
      expect(all.map((m) => m.body)).toEqual(["hello 1", "hello 2", "hello 3", "hello 4"]);
      const last = await stores().messages.listByUser(`+${user}`, 2);
      expect(last.map((m) => m.body)).toEqual(["hello 3", "hello 4"]);
      expect(await stores().messages.listByUser(uniq("nobody"), 0)).toEqual([]);
      await expect(stores().messages.listByUser(user, -1)).rejects.toThrow(/limit/);
    });

    it("an edit keeps the original in the history; a redelivered edit changes nothing", async () => {
      const wamid = uniq("wamid.");
      const m = message(uniq("t"), "u", 1, { wamid, body: "red please" });
      await stores().messages.insert(m);
      const edit = {
        kind: "edit" as const,
        id: uniq("wamid.e"),
        body: "blue please",
        type: "text",
        at: at(9),
      };
      expect(await stores().messages.amend(wamid, edit)).toBe("applied");
      expect(await stores().messages.amend(wamid, edit)).toBe("duplicate");
      const second = { ...edit, id: uniq("wamid.e"), body: "green please", at: at(10) };
      expect(await stores().messages.amend(wamid, second)).toBe("applied");
      const stored = await stores().messages.getByWamid(wamid);
      expect(stored).toMatchObject({ body: "green please", type: "text" });
      expect(stored?.edits).toEqual([
        { id: edit.id, body: "red please", type: "text", at: at(9) },
        { id: second.id, body: "blue please", type: "text", at: at(10) },
      ]);
      expect(stored?.deletedAt).toBeUndefined();
    });

    it("a revoke marks the message deleted and keeps it; unknown wamids say so", async () => {
      const wamid = uniq("wamid.");
      await stores().messages.insert(message(uniq("t"), "u", 1, { wamid }));
      const revoke = { kind: "revoke" as const, id: uniq("wamid.r"), at: at(20) };
      expect(await stores().messages.amend(wamid, revoke)).toBe("applied");
      expect(await stores().messages.amend(wamid, revoke)).toBe("duplicate");
      expect(await stores().messages.getByWamid(wamid)).toMatchObject({ deletedAt: at(20), body: "hello 1" });
      expect(await stores().messages.amend(uniq("wamid.none"), revoke)).toBe("unknown");
    });
  });
}
