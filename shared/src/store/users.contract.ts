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
  });
}
