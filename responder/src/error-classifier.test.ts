import { describe, expect, it } from "vitest";
import { classifyCode, classifyFailure, type ErrorAction } from "./error-classifier.js";

type Row = [code: number, expected: Partial<ErrorAction> & { action: ErrorAction["action"] }];

// Every code of docs/whatsapp-contract.md "Error codes", with the action the sender must take.
const TABLE: Row[] = [
  [0, { action: "fail", reason: "auth", alert: true }],
  [190, { action: "fail", reason: "auth", alert: true }],
  [3, { action: "fail", reason: "permission", alert: true }],
  [10, { action: "fail", reason: "permission", alert: true }],
  [200, { action: "fail", reason: "permission", alert: true }],
  [250, { action: "fail", reason: "permission", alert: true }],
  [299, { action: "fail", reason: "permission", alert: true }],
  [131005, { action: "fail", reason: "permission", alert: true }],
  [4, { action: "retry", scope: "number", schedule: "exponential" }],
  [80007, { action: "retry", scope: "number", schedule: "exponential" }],
  [130429, { action: "retry", scope: "number", schedule: "exponential" }],
  [131048, { action: "fail", reason: "spam_restricted" }],
  [131056, { action: "retry", scope: "recipient", schedule: "pair" }],
  [131047, { action: "template", reason: "window_closed" }],
  [131026, { action: "fail", reason: "undeliverable", alert: false }],
  [131049, { action: "fail", reason: "ecosystem_limit" }],
  [131050, { action: "fail", reason: "marketing_opt_out" }],
  [131051, { action: "fail", reason: "unsupported_type" }],
  [131052, { action: "fail", reason: "media_download" }],
  [131053, { action: "fail", reason: "media_upload" }],
  [131000, { action: "retry", scope: "request", schedule: "exponential" }],
  [1, { action: "retry", scope: "request", maxAttempts: 2 }],
  [2, { action: "retry", scope: "request" }],
  [131016, { action: "retry", scope: "request" }],
  [133004, { action: "retry", scope: "request" }],
  [131057, { action: "retry", scope: "number", schedule: "maintenance" }],
  [100, { action: "fail", reason: "invalid_parameter", alert: false }],
  [131008, { action: "fail", reason: "missing_parameter" }],
  [131009, { action: "fail", reason: "invalid_parameter" }],
  [131021, { action: "fail", reason: "sender_is_recipient" }],
  [131042, { action: "fail", reason: "payment", alert: true }],
  [131045, { action: "fail", reason: "not_registered", alert: true }],
  [133010, { action: "fail", reason: "not_registered", alert: true }],
  [131031, { action: "fail", reason: "account_restricted", alert: true }],
  [368, { action: "fail", reason: "account_restricted", alert: true }],
  [130497, { action: "fail", reason: "account_restricted", alert: true }],
  [130403, { action: "fail", reason: "user_blocked" }],
  [130472, { action: "fail", reason: "experiment" }],
  [131062, { action: "fail", reason: "bsuid_unsupported" }],
  [131064, { action: "fail", reason: "template_enforcement" }],
  [132000, { action: "fail", reason: "template_param_count" }],
  [132001, { action: "fail", reason: "template_missing" }],
  [132005, { action: "fail", reason: "template_text_too_long" }],
  [132007, { action: "fail", reason: "template_policy" }],
  [132012, { action: "fail", reason: "template_param_format" }],
  [132015, { action: "fail", reason: "template_paused" }],
  [132016, { action: "fail", reason: "template_disabled" }],
  [132068, { action: "fail", reason: "flow_blocked" }],
  [132069, { action: "retry", schedule: "hourly", maxAttempts: 2 }],
  [135000, { action: "fail", reason: "unknown_parameter_error" }],
];

describe("classifyCode (docs/whatsapp-contract.md: Error codes)", () => {
  it.each(TABLE)("code %i", (code, expected) => {
    expect(classifyCode(code)).toMatchObject(expected);
  });

  it("unknown codes: permanent on 4xx, retried on 5xx", () => {
    expect(classifyCode(999_999, 400)).toEqual({ action: "fail", reason: "meta_999999", alert: false });
    expect(classifyCode(999_999, 502)).toMatchObject({ action: "retry", scope: "request" });
  });
});

describe("classifyFailure without a Meta body", () => {
  it.each([
    [{ kind: "timeout" } as const, { action: "retry", reason: "timeout" }],
    [{ kind: "network" } as const, { action: "retry", reason: "network" }],
    [{ kind: "http", status: 503 } as const, { action: "retry", scope: "request" }],
    [{ kind: "http", status: 429 } as const, { action: "retry", scope: "number" }],
    [{ kind: "http", status: 401 } as const, { action: "fail", alert: true }],
    [{ kind: "http", status: 404 } as const, { action: "fail", reason: "http_404" }],
    [{ kind: "meta", status: 429, code: 131056 } as const, { action: "retry", scope: "recipient" }],
  ])("%j", (failure, expected) => {
    expect(classifyFailure(failure)).toMatchObject(expected);
  });
});
