import { FlankError } from "../errors.js";

/**
 * The two Graph API calls of Embedded Signup: trade the code from Facebook Login for a business
 * token, then subscribe the app to the WABA's webhooks. Failures keep Meta's error object so the
 * caller can show it; nothing here logs, and error messages never hold the app secret or token.
 */
export interface SignupGraphOptions {
  /** e.g. https://graph.facebook.com/v25.0, without a trailing slash. */
  graphApiBase: string;
  appId: string;
  appSecret: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export type SignupStep = "exchange_code" | "subscribe_app";

export class GraphSignupError extends FlankError {
  constructor(
    readonly step: SignupStep,
    message: string,
    /** Meta's `error` object when it sent one. */
    readonly metaError: unknown,
    readonly status: number | undefined,
    cause?: unknown,
  ) {
    super("GraphSignupError", message, {
      context: { step, status },
      cause,
      retryable: status === undefined || status >= 500,
    });
  }
}

async function call(
  step: SignupStep,
  opts: SignupGraphOptions,
  url: string,
  init: RequestInit,
): Promise<unknown> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (err) {
    // Not the URL: it carries client_secret and the code.
    const why = err instanceof Error && err.name === "TimeoutError" ? "timed out" : "could not be reached";
    throw new GraphSignupError(step, `Graph API ${why} (${step})`, undefined, undefined, err);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const metaError = (body as { error?: unknown } | undefined)?.error;
  if (!res.ok || metaError !== undefined) {
    const message = (metaError as { message?: unknown } | undefined)?.message;
    throw new GraphSignupError(
      step,
      `Graph API refused ${step}: ${typeof message === "string" ? message : `HTTP ${res.status}`}`,
      metaError,
      res.status,
    );
  }
  return body;
}

/** `GET /oauth/access_token?client_id&client_secret&code` → the business integration token. */
export async function exchangeSignupCode(opts: SignupGraphOptions, code: string): Promise<string> {
  const q = new URLSearchParams({ client_id: opts.appId, client_secret: opts.appSecret, code });
  const body = await call("exchange_code", opts, `${opts.graphApiBase}/oauth/access_token?${q}`, {
    method: "GET",
  });
  const token = (body as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== "string" || token === "") {
    throw new GraphSignupError("exchange_code", "Graph API answered without an access_token", undefined, 200);
  }
  return token;
}

/** `POST /{waba_id}/subscribed_apps` with the new token → `{success: true}`. */
export async function subscribeAppToWaba(
  opts: SignupGraphOptions,
  wabaId: string,
  token: string,
): Promise<void> {
  if (!/^\d+$/.test(wabaId)) throw new FlankError("InvalidInput", "waba_id must be digits");
  const body = await call("subscribe_app", opts, `${opts.graphApiBase}/${wabaId}/subscribed_apps`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  if ((body as { success?: unknown } | undefined)?.success !== true) {
    throw new GraphSignupError("subscribe_app", "Graph API did not confirm the subscription", undefined, 200);
  }
}
