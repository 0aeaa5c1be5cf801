import { createEvent } from "@flank/shared/contract";
import { UNATTRIBUTED_TENANT } from "@flank/shared/whatsapp";
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./validate.js";
import { scanPhoneNumberIds, unscannedNumbers } from "./webhook-tenants.js";

const scan = (text: string, max?: number) => scanPhoneNumberIds(Buffer.from(text), max);

describe("scanPhoneNumberIds", () => {
  it.each([
    ["compact", '{"metadata":{"phone_number_id":"123456"}}', ["123456"]],
    ["spaced", '{"phone_number_id" :\n "123456"}', ["123456"]],
    ["a bare number", '{"phone_number_id":123456}', ["123456"]],
    [
      "distinct, in order",
      '[{"phone_number_id":"2"},{"phone_number_id":"1"},{"phone_number_id":"2"}]',
      ["2", "1"],
    ],
    ["none", '{"entry":[]}', []],
    ["an escaped key (left to the post-parse check)", '{"phone_number\\u005fid":"123456"}', []],
    ["an escaped value", '{"phone_number_id":"\\u0031"}', []],
    ["inside a string (quotes escaped)", '{"text":"\\"phone_number_id\\":\\"999\\""}', []],
    ["not digits", '{"phone_number_id":"12a"}', []],
  ])("finds the plain ids: %s", (_name, text, ids) => {
    expect(scan(text)).toEqual({ ok: true, ids });
  });

  it("stops past the maximum of distinct numbers", () => {
    const body = JSON.stringify([1, 2, 3].map((n) => ({ phone_number_id: String(n) })));
    expect(scan(body, 2)).toEqual({ ok: false, reason: "too_many_numbers" });
    expect(scan(body, 3)).toEqual({ ok: true, ids: ["1", "2", "3"] });
  });
});

describe("unscannedNumbers", () => {
  const message = (tenant: string) =>
    createEvent({
      type: "inbound.error",
      tenant,
      conversationId: `${tenant}:system`,
      data: { phoneNumberId: /^\d+$/.test(tenant) ? tenant : undefined, errors: [{ code: 1 }], raw: [] },
    });

  it("names the events' numbers the scan did not see; account-level errors name none", () => {
    expect(unscannedNumbers([message("1"), message("2"), message(UNATTRIBUTED_TENANT)], ["1"])).toEqual([
      "2",
    ]);
    expect(unscannedNumbers([message("1")], ["1", "3"])).toEqual([]);
  });

  it("names the tenant of an event that names no number but claims one (never taken from elsewhere)", () => {
    expect(unscannedNumbers([message("waba-of-another")], ["1"])).toEqual(["waba-of-another"]);
  });
});

describe("nestsDeeperThan", () => {
  const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
  it("counts objects and arrays, up to and past the limit", () => {
    expect(nestsDeeperThan(Buffer.from(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(nested(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[{}]}}'), 4)).toBe(false);
    expect(nestsDeeperThan(Buffer.from('{"a":{"b":[{}]}}'), 3)).toBe(true);
  });

  it("walks the text only when there are more opening brackets than the limit", () => {
    // Many brackets side by side are shallow; the same count nested is not.
    const wide = `[${"{},".repeat(MAX_JSON_DEPTH * 2)}{}]`;
    expect(nestsDeeperThan(Buffer.from(wide), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"a":${nested(MAX_JSON_DEPTH)}}`), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(Buffer.from(`{"a":[1,{"b":2}],"c":{}}`), 3)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(nestsDeeperThan(Buffer.from(`{"t":"${"[".repeat(500)}"}`), 2)).toBe(false);
    expect(nestsDeeperThan(Buffer.from(`{"t":"\\"${"{".repeat(500)}"}`), 2)).toBe(false);
  });
});
