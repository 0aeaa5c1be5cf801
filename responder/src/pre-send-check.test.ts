import { createMemoryStores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkBeforeSend } from "./pre-send-check.js";
import { type SenderHarness, startSenderHarness, TENANT, USER } from "./sender.harness.js";

const WABA = "102290129340398";
const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString();
const marketing = { type: "template" as const, name: "spring_sale", language: "en_US" };

describe("checkBeforeSend (pure decisions on stored facts)", () => {
  it.each([
    ["PAUSED", 132015, "template_paused"],
    ["DISABLED", 132016, "template_disabled"],
    ["REJECTED", 132001, "template_rejected"],
    ["PENDING_DELETION", 132001, "template_pending_deletion"],
  ])(
    "refuses a template Meta reported %s, as an alert when it is the fallback",
    async (status, code, reason) => {
      const stores = createMemoryStores();
      await stores.templates.apply({ wabaId: WABA, name: "reengage", language: "en-US", at: at(0), status });
      const message = { type: "template" as const, name: "reengage", language: "en_US" };
      const request = {
        idempotencyKey: "k",
        to: USER,
        source: "bot" as const,
        message: { type: "text" as const, body: "hi" },
      };
      const refusal = await checkBeforeSend(stores, {
        tenant: TENANT,
        wabaId: WABA,
        request,
        message,
        fallback: true,
      });
      expect(refusal).toMatchObject({ error: { code }, reason, alert: true });
      expect(refusal?.error.message).toMatch(/closed-window fallback template reengage/);
      const direct = await checkBeforeSend(stores, {
        tenant: TENANT,
        wabaId: WABA,
        request: { ...request, message },
        message,
        fallback: false,
      });
      expect(direct).toMatchObject({ reason, alert: false });
    },
  );

  it("lets an approved or unknown template and non-templates through", async () => {
    const stores = createMemoryStores();
    await stores.templates.apply({
      wabaId: WABA,
      name: "reengage",
      language: "en_US",
      at: at(0),
      status: "APPROVED",
    });
    const request = {
      idempotencyKey: "k",
      to: USER,
      source: "api" as const,
      message: { type: "text" as const, body: "hi" },
    };
    for (const message of [
      { type: "template" as const, name: "reengage", language: "en_US" },
      { type: "template" as const, name: "never_heard_of", language: "en_US" },
      { type: "text" as const, body: "hi" },
    ]) {
      expect(
        await checkBeforeSend(stores, { tenant: TENANT, wabaId: WABA, request, message, fallback: false }),
      ).toBeUndefined();
    }
  });

  it("refuses marketing (declared, or as Meta categorized it) to a user who stopped it, until resume", async () => {
    const stores = createMemoryStores();
    await stores.users.setPreference(TENANT, { waId: USER }, "marketing_messages", {
      value: "stop",
      at: at(1),
    });
    await stores.templates.apply({
      wabaId: WABA,
      name: "spring_sale",
      language: "en_US",
      at: at(0),
      category: "MARKETING",
      status: "APPROVED",
    });
    const request = { idempotencyKey: "k", to: `+${USER}`, source: "api" as const, message: marketing };
    const input = { tenant: TENANT, wabaId: WABA, request, message: marketing, fallback: false };
    expect(await checkBeforeSend(stores, input)).toMatchObject({
      error: { code: 131050 },
      reason: "marketing_opted_out",
    });
    const declared = { ...marketing, name: "other", category: "marketing" as const };
    expect(await checkBeforeSend(stores, { ...input, message: declared })).toMatchObject({
      reason: "marketing_opted_out",
    });
    const utility = { ...marketing, name: "receipt", category: "utility" as const };
    expect(await checkBeforeSend(stores, { ...input, message: utility })).toBeUndefined();
    await stores.users.setPreference(TENANT, { waId: USER }, "marketing_messages", {
      value: "resume",
      at: at(2),
    });
    expect(await checkBeforeSend(stores, input)).toBeUndefined();
  });
});

describe("sender: refusals before any Graph API call", () => {
  let h: SenderHarness;
  beforeEach(async () => {
    h = await startSenderHarness();
  });
  afterEach(() => h.stop());

  it("a marketing template to a user who opted out fails with a clear result; resume lifts it", async () => {
    await h.integrations.create({
      phoneNumberId: TENANT,
      wabaId: WABA,
      accessToken: "TENANT_TOKEN",
      verifyToken: "vt-presend-1",
    });
    await h.stores.templates.apply({
      wabaId: WABA,
      name: "spring_sale",
      language: "en_US",
      at: at(0),
      category: "MARKETING",
      status: "APPROVED",
    });
    await h.stores.users.setPreference(TENANT, { waId: USER }, "marketing_messages", {
      value: "stop",
      at: at(1),
    });
    await h.request({ message: marketing, idempotencyKey: "mk-1" });
    await waitFor(() => h.results.length === 1, { what: "result" });
    expect(h.results[0]).toMatchObject({
      idempotencyKey: "mk-1",
      status: "failed",
      final: true,
      attempts: 0,
      error: { code: 131050, reason: "marketing_opted_out", retryable: false },
    });
    expect(h.graph.requests).toEqual([]);

    await h.stores.users.setPreference(TENANT, { waId: USER }, "marketing_messages", {
      value: "resume",
      at: at(2),
    });
    await h.request({ message: marketing, idempotencyKey: "mk-2" });
    await waitFor(() => h.results.length === 2, { what: "second result" });
    expect(h.results[1]).toMatchObject({ idempotencyKey: "mk-2", status: "sent" });
    expect(h.graph.requests).toHaveLength(1);
  });

  it("does not attempt a closed-window fallback Meta paused: fails clearly and logs an alert", async () => {
    await h.integrations.create({
      phoneNumberId: TENANT,
      wabaId: WABA,
      accessToken: "TENANT_TOKEN",
      verifyToken: "vt-presend-2",
      templateFallback: { name: "reengage", language: "en_US" },
    });
    await h.stores.templates.apply({
      wabaId: WABA,
      name: "reengage",
      language: "en-US",
      at: at(0),
      status: "PAUSED",
      statusReason: "NONE",
    });
    // No open window: the text would go out as the fallback template.
    await h.request({
      message: { type: "text", body: "are you still there?" },
      idempotencyKey: "fb-1",
      source: "bot",
    });
    await waitFor(() => h.results.length === 1, { what: "result" });
    expect(h.results[0]).toMatchObject({
      status: "failed",
      final: true,
      error: { code: 132015, reason: "template_paused" },
    });
    expect(h.results[0]?.error?.message).toMatch(/fallback template reengage \(en_US\) is PAUSED/);
    expect(h.graph.requests).toEqual([]);
    expect(h.logs).toContainEqual(expect.objectContaining({ alert: true, reason: "template_paused" }));
  });
});
