import { describe, expect, it } from "vitest";
import type { ContractContext } from "./store.contract.js";
import { type Integration, UniqueViolation } from "./types.js";

export function integrationsContract({ stores, uniq }: ContractContext): void {
  const integration = (extra: Partial<Integration> = {}): Integration => ({
    id: uniq("int"),
    phoneNumberId: uniq("1065"),
    verifyToken: uniq("vt"),
    accessToken: "enc:v1:abc",
    agentFlowId: "support",
    templateFallback: { name: "hello", language: "en_US" },
    enabled: true,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  });

  const violation = async (p: Promise<unknown>, field: string) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UniqueViolation);
    expect((err as UniqueViolation).field).toBe(field);
  };

  describe("integrations", () => {
    it("creates and finds by id, phone number id and verify token", async () => {
      const i = integration();
      expect(await stores().integrations.create(i)).toEqual(i);
      expect(await stores().integrations.get(i.id)).toEqual(i);
      expect(await stores().integrations.getByPhoneNumberId(i.phoneNumberId)).toEqual(i);
      expect(await stores().integrations.getByVerifyToken(i.verifyToken)).toEqual(i);
      expect(await stores().integrations.get(uniq("nope"))).toBeUndefined();
      expect(await stores().integrations.getByVerifyToken(uniq("nope"))).toBeUndefined();
      const listed = await stores().integrations.list();
      expect(listed.find((x) => x.id === i.id)).toEqual(i);
    });

    it("refuses a taken phone number id or verify token, naming the field", async () => {
      const i = await stores().integrations.create(integration());
      await violation(
        stores().integrations.create(integration({ phoneNumberId: i.phoneNumberId })),
        "phoneNumberId",
      );
      await violation(
        stores().integrations.create(integration({ verifyToken: i.verifyToken })),
        "verifyToken",
      );
      expect(
        (await stores().integrations.list()).filter((x) => x.phoneNumberId === i.phoneNumberId),
      ).toHaveLength(1);
    });

    it("updates a patch, keeps what the patch leaves undefined, and checks uniqueness", async () => {
      const a = await stores().integrations.create(integration());
      const b = await stores().integrations.create(integration());
      const updated = await stores().integrations.update(a.id, { enabled: false, agentFlowId: undefined });
      expect(updated).toMatchObject({
        id: a.id,
        enabled: false,
        agentFlowId: "support",
        createdAt: a.createdAt,
      });
      expect(updated && updated.updatedAt > a.updatedAt).toBe(true);
      expect(await stores().integrations.get(a.id)).toEqual(updated);

      await violation(stores().integrations.update(a.id, { verifyToken: b.verifyToken }), "verifyToken");
      expect((await stores().integrations.get(a.id))?.verifyToken).toBe(a.verifyToken);
      const token = uniq("vt");
      expect(await stores().integrations.update(a.id, { verifyToken: token })).toMatchObject({
        verifyToken: token,
      });
      expect((await stores().integrations.getByVerifyToken(token))?.id).toBe(a.id);
      expect(await stores().integrations.update(uniq("nope"), { enabled: true })).toBeUndefined();
    });

    it("deletes, freeing the unique fields", async () => {
      const i = await stores().integrations.create(integration());
      expect(await stores().integrations.delete(i.id)).toBe(true);
      expect(await stores().integrations.delete(i.id)).toBe(false);
      expect(await stores().integrations.get(i.id)).toBeUndefined();
      const again = integration({ phoneNumberId: i.phoneNumberId, verifyToken: i.verifyToken });
      expect(await stores().integrations.create(again)).toEqual(again);
    });

    it("returns copies", async () => {
      const i = integration();
      await stores().integrations.create(i);
      i.enabled = false;
      const got = await stores().integrations.get(i.id);
      if (got?.templateFallback) got.templateFallback.name = "changed";
      expect(await stores().integrations.get(i.id)).toMatchObject({
        enabled: true,
        templateFallback: { name: "hello" },
      });
    });
  });
}
