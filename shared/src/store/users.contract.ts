import { describe, expect, it } from "vitest";
import type { ContractContext } from "./store.contract.js";

export function usersContract({ stores, uniq }: ContractContext): void {
  describe("users", () => {
    it("links a BSUID to the user first seen by wa_id", async () => {
      const tenant = uniq("t");
      const waId = uniq("1650");
      const bsuid = uniq("US.");
      const first = await stores().users.upsert({ tenant, waId, profileName: "Bo" });
      expect(first).toMatchObject({ tenant, waId, profileName: "Bo", metadata: {} });
      expect(first.userId).toBeUndefined();
      expect(first.firstSeenAt).toBe(first.lastSeenAt);

      const linked = await stores().users.upsert({ tenant, waId, userId: bsuid, username: "bo.b" });
      expect(linked).toMatchObject({
        id: first.id,
        waId,
        userId: bsuid,
        profileName: "Bo",
        username: "bo.b",
      });
      expect(linked.firstSeenAt).toBe(first.firstSeenAt);

      expect(await stores().users.find(tenant, { userId: bsuid })).toEqual(linked);
      expect(await stores().users.find(tenant, { waId })).toEqual(linked);
      expect(await stores().users.get(first.id)).toEqual(linked);
      // Later sightings by the BSUID alone (wa_id omitted) reach the same user.
      const bsuidOnly = await stores().users.upsert({ tenant, waId: "", userId: bsuid, profileName: "Bo B" });
      expect(bsuidOnly).toMatchObject({ id: first.id, waId, profileName: "Bo B" });
    });

    it("keeps a BSUID-only user and adds the wa_id when it appears", async () => {
      const tenant = uniq("t");
      const bsuid = uniq("US.");
      const user = await stores().users.upsert({ tenant, userId: bsuid });
      expect(user.userId).toBe(bsuid);
      expect(user.waId).toBeUndefined();
      const waId = uniq("1650");
      expect(await stores().users.upsert({ tenant, waId, userId: bsuid })).toMatchObject({
        id: user.id,
        waId,
      });
    });

    it("merges a wa_id-only user and a BSUID-only user seen together", async () => {
      const tenant = uniq("t");
      const waId = uniq("1650");
      const bsuid = uniq("US.");
      const byPhone = await stores().users.upsert({ tenant, waId, profileName: "Phone" });
      const byBsuid = await stores().users.upsert({ tenant, userId: bsuid, profileName: "Bsuid" });
      expect(byBsuid.id).not.toBe(byPhone.id);

      const merged = await stores().users.upsert({ tenant, waId, userId: bsuid });
      expect(merged).toMatchObject({ id: byPhone.id, waId, userId: bsuid, firstSeenAt: byPhone.firstSeenAt });
      expect(await stores().users.get(byBsuid.id)).toBeUndefined();
      expect((await stores().users.find(tenant, { userId: bsuid }))?.id).toBe(byPhone.id);
    });

    it("keeps tenants apart", async () => {
      const waId = uniq("1650");
      const a = await stores().users.upsert({ tenant: uniq("t"), waId });
      const b = await stores().users.upsert({ tenant: uniq("t"), waId });
      expect(a.id).not.toBe(b.id);
      expect(await stores().users.find(uniq("t"), { waId })).toBeUndefined();
      expect(await stores().users.find(a.tenant, {})).toBeUndefined();
    });

    it("creates one user for concurrent first sightings", async () => {
      const tenant = uniq("t");
      const waId = uniq("1650");
      const users = await Promise.all([1, 2, 3, 4].map(() => stores().users.upsert({ tenant, waId })));
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
    });

    it("rejects a sighting without wa_id or BSUID", async () => {
      await expect(stores().users.upsert({ tenant: uniq("t"), waId: "" })).rejects.toThrow(/wa_id or BSUID/);
    });

    it("keeps the conversation a user was first seen in", async () => {
      const tenant = uniq("t");
      const waId = uniq("1650");
      const first = await stores().users.upsert({ tenant, waId, conversationId: `${tenant}:${waId}` });
      expect(first.conversationId).toBe(`${tenant}:${waId}`);
      const bsuid = uniq("US.");
      const later = await stores().users.upsert({
        tenant,
        waId: "",
        userId: bsuid,
        conversationId: `${tenant}:${bsuid}`,
      });
      expect(later.id).not.toBe(first.id);
      // Seen together: one person, the older conversation.
      const linked = await stores().users.upsert({
        tenant,
        waId,
        userId: bsuid,
        conversationId: `${tenant}:${bsuid}`,
      });
      expect(linked).toMatchObject({ id: first.id, conversationId: `${tenant}:${waId}` });
    });

    it("stores a preference per category; an older one never replaces a newer one", async () => {
      const tenant = uniq("t");
      const waId = uniq("1650");
      const stop = { value: "stop", at: "2026-05-01T10:00:00.000Z", detail: "User requested to stop" };
      const user = await stores().users.setPreference(tenant, { waId }, "marketing_messages", stop);
      expect(user.preferences?.marketing_messages).toEqual(stop);
      const stale = { value: "resume", at: "2026-05-01T09:00:00.000Z" };
      await stores().users.setPreference(tenant, { waId }, "marketing_messages", stale);
      expect((await stores().users.find(tenant, { waId }))?.preferences?.marketing_messages?.value).toBe(
        "stop",
      );
      const resume = { value: "resume", at: "2026-05-02T10:00:00.000Z" };
      const after = await stores().users.setPreference(tenant, { waId }, "marketing_messages", resume);
      expect(after.preferences?.marketing_messages).toEqual(resume);
      expect(after.id).toBe(user.id);
    });

    it("moves a user to a new phone number and BSUID, keeping the conversation and the old ids", async () => {
      const tenant = uniq("t");
      const [oldNumber, newNumber] = [uniq("1650"), uniq("1219")];
      const [oldBsuid, newBsuid] = [uniq("US."), uniq("US.")];
      const user = await stores().users.upsert({
        tenant,
        waId: oldNumber,
        userId: oldBsuid,
        conversationId: `${tenant}:${oldNumber}`,
      });
      await stores().users.setPreference(tenant, { waId: oldNumber }, "marketing_messages", {
        value: "stop",
        at: "2026-01-01T00:00:00.000Z",
      });
      const moved = await stores().users.changeIds(
        tenant,
        { waId: oldNumber },
        { waId: newNumber, userId: newBsuid },
      );
      expect(moved).toMatchObject({
        id: user.id,
        waId: newNumber,
        userId: newBsuid,
        conversationId: `${tenant}:${oldNumber}`,
      });
      expect(moved?.previousIds).toEqual([expect.objectContaining({ waId: oldNumber, userId: oldBsuid })]);
      expect((await stores().users.find(tenant, { waId: newNumber }))?.id).toBe(user.id);
      expect(
        (await stores().users.find(tenant, { userId: newBsuid }))?.preferences?.marketing_messages?.value,
      ).toBe("stop");
      // The old number is no longer this person's.
      expect(await stores().users.find(tenant, { waId: oldNumber })).toBeUndefined();
      expect(
        await stores().users.changeIds(tenant, { waId: uniq("nobody") }, { waId: newNumber }),
      ).toBeUndefined();
    });

    it("merges a user the new number created before the change notice arrived", async () => {
      const tenant = uniq("t");
      const [oldNumber, newNumber] = [uniq("1650"), uniq("1219")];
      const original = await stores().users.upsert({
        tenant,
        waId: oldNumber,
        conversationId: `${tenant}:${oldNumber}`,
      });
      const early = await stores().users.upsert({
        tenant,
        waId: newNumber,
        conversationId: `${tenant}:${newNumber}`,
      });
      const moved = await stores().users.changeIds(tenant, { waId: oldNumber }, { waId: newNumber });
      expect(moved).toMatchObject({
        id: original.id,
        waId: newNumber,
        conversationId: `${tenant}:${oldNumber}`,
      });
      expect(await stores().users.get(early.id)).toBeUndefined();
    });
  });
}
