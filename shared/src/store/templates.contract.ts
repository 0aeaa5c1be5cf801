import { describe, expect, it } from "vitest";
import type { ContractContext } from "./store.contract.js";

export function templatesContract({ stores, uniq }: ContractContext): void {
  describe("templates", () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 0, minute)).toISOString();

    it("keeps status, category and quality per template, found by either language form", async () => {
      const wabaId = uniq("waba");
      const name = uniq("order_");
      const base = { wabaId, name, language: "en-US", templateId: "1689556908129832" };
      await stores().templates.apply({ ...base, at: at(1), status: "APPROVED", category: "UTILITY" });
      await stores().templates.apply({ ...base, at: at(2), quality: "YELLOW" });
      await stores().templates.apply({ ...base, at: at(3), status: "PAUSED", statusReason: "NONE" });
      const found = await stores().templates.find({ wabaId, name, language: "en_US" });
      expect(found).toMatchObject({
        id: `${wabaId}:${name}:en_US`,
        templateId: "1689556908129832",
        language: "en_US",
        status: "PAUSED",
        statusAt: at(3),
        category: "UTILITY",
        quality: "YELLOW",
      });
      expect(await stores().templates.find({ name, language: "en-US" })).toMatchObject({ wabaId });
      expect(
        await stores().templates.find({ wabaId: uniq("other"), name, language: "en_US" }),
      ).toBeUndefined();
    });

    it("an older update never replaces a newer one (webhooks arrive out of order)", async () => {
      const wabaId = uniq("waba");
      const name = uniq("promo_");
      const key = { wabaId, name, language: "en" };
      await stores().templates.apply({ ...key, at: at(10), status: "REINSTATED" });
      await stores().templates.apply({ ...key, at: at(5), status: "PAUSED" });
      expect((await stores().templates.find(key))?.status).toBe("REINSTATED");
    });

    it("a recategorization is pending until it happens", async () => {
      const wabaId = uniq("waba");
      const name = uniq("welcome_");
      const key = { wabaId, name, language: "en_US" };
      await stores().templates.apply({
        ...key,
        at: at(1),
        category: "UTILITY",
        pendingCategory: { category: "MARKETING", at: at(60) },
      });
      expect(await stores().templates.find(key)).toMatchObject({
        category: "UTILITY",
        pendingCategory: "MARKETING",
        pendingCategoryAt: at(60),
      });
      await stores().templates.apply({ ...key, at: at(60), category: "MARKETING" });
      const done = await stores().templates.find(key);
      expect(done).toMatchObject({ category: "MARKETING" });
      expect(done?.pendingCategory).toBeUndefined();
    });

    it("concurrent updates of one template all land", async () => {
      const wabaId = uniq("waba");
      const name = uniq("race_");
      const key = { wabaId, name, language: "en_US" };
      await Promise.all([
        stores().templates.apply({ ...key, at: at(1), status: "APPROVED" }),
        stores().templates.apply({ ...key, at: at(1), quality: "GREEN" }),
        stores().templates.apply({ ...key, at: at(1), category: "MARKETING" }),
      ]);
      expect(await stores().templates.find(key)).toMatchObject({
        status: "APPROVED",
        quality: "GREEN",
        category: "MARKETING",
        version: 3,
      });
    });
  });
}
