/**
 * What the sender does with a failed Graph API call (docs/whatsapp-contract.md "Error codes"). Keyed on Meta's
 * `error.code` as Meta asks; the HTTP status only matters when there is no Meta body.
 */
export type RetryScope = "request" | "recipient" | "number";
export type RetrySchedule = "exponential" | "pair" | "maintenance" | "hourly";

export type ErrorAction =
  /** Try again later; `scope` says who else must wait (a recipient or the whole business number). */
  | { action: "retry"; scope: RetryScope; schedule: RetrySchedule; reason: string; maxAttempts?: number }
  /** The 24-hour window is closed: send the configured template instead, or fail. */
  | { action: "template"; reason: "window_closed" }
  | { action: "fail"; reason: string; alert: boolean };

/** A failed call as the Graph client reports it. */
export type SendFailure =
  | { kind: "meta"; status: number; code: number }
  | { kind: "http"; status: number }
  | { kind: "timeout" }
  | { kind: "network" };

const retry = (
  reason: string,
  scope: RetryScope = "request",
  schedule: RetrySchedule = "exponential",
  maxAttempts?: number,
): ErrorAction => ({ action: "retry", scope, schedule, reason, ...(maxAttempts ? { maxAttempts } : {}) });
const fail = (reason: string, alert = false): ErrorAction => ({ action: "fail", reason, alert });

/** The error-code table (docs/whatsapp-contract.md "Error codes"), one row per code. */
export const CODE_ACTIONS: ReadonlyMap<number, ErrorAction> = new Map<number, ErrorAction>([
  [0, fail("auth", true)],
  [190, fail("auth", true)],
  [3, fail("permission", true)],
  [10, fail("permission", true)],
  [131005, fail("permission", true)],
  [4, retry("app_rate_limit", "number")],
  [80007, retry("waba_rate_limit", "number")],
  [130429, retry("throughput", "number")],
  [131048, fail("spam_restricted", true)],
  [131056, retry("pair_rate_limit", "recipient", "pair")],
  [131047, { action: "template", reason: "window_closed" }],
  [131026, fail("undeliverable")],
  [131049, fail("ecosystem_limit")],
  [131050, fail("marketing_opt_out")],
  [131051, fail("unsupported_type")],
  [131052, fail("media_download")],
  [131053, fail("media_upload")],
  [131000, retry("unknown_error")],
  // "R once": code 1 may be a bad request as well as a server error.
  [1, retry("api_unknown", "request", "exponential", 2)],
  [2, retry("service_unavailable")],
  [131016, retry("service_unavailable")],
  [133004, retry("server_unavailable")],
  [131057, retry("maintenance", "number", "maintenance")],
  [100, fail("invalid_parameter")],
  [131008, fail("missing_parameter")],
  [131009, fail("invalid_parameter")],
  [131021, fail("sender_is_recipient")],
  [131042, fail("payment", true)],
  [131045, fail("not_registered", true)],
  [133010, fail("not_registered", true)],
  [131031, fail("account_restricted", true)],
  [368, fail("account_restricted", true)],
  [130497, fail("account_restricted", true)],
  [130403, fail("user_blocked")],
  [130472, fail("experiment")],
  [131062, fail("bsuid_unsupported")],
  [131064, fail("template_enforcement")],
  [132000, fail("template_param_count")],
  [132001, fail("template_missing")],
  [132005, fail("template_text_too_long")],
  [132007, fail("template_policy")],
  [132012, fail("template_param_format")],
  [132015, fail("template_paused")],
  [132016, fail("template_disabled")],
  [132068, fail("flow_blocked")],
  [132069, retry("flow_throttled", "request", "hourly", 2)],
  [135000, fail("unknown_parameter_error")],
]);

export function classifyCode(code: number, status = 400): ErrorAction {
  const known = CODE_ACTIONS.get(code);
  if (known) return known;
  // 200-299: permission codes (Meta: "3, 10, 200-299").
  if (code >= 200 && code <= 299) return fail("permission", true);
  return status >= 500 ? retry("server_error") : fail(`meta_${code}`);
}

export function classifyFailure(failure: SendFailure): ErrorAction {
  switch (failure.kind) {
    case "meta":
      return classifyCode(failure.code, failure.status);
    case "http":
      if (failure.status === 429) return retry("http_429", "number");
      if (failure.status >= 500) return retry("server_error");
      if (failure.status === 401 || failure.status === 403) return fail("auth", true);
      return fail(`http_${failure.status}`);
    // A timeout may hide a message Meta accepted: retrying risks a duplicate, which we accept
    // over silence (the idempotency key cannot help here; Meta has no idempotency header).
    case "timeout":
      return retry("timeout");
    case "network":
      return retry("network");
  }
}
