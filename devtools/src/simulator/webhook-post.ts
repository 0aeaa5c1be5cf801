import { SIGNATURE_HEADER, signPayload } from "@flank/shared/whatsapp";

export interface WebhookTarget {
  /** The gateway's webhook URL, e.g. http://127.0.0.1:3001/webhook/whatsapp */
  url: string;
  /** Signs every POST like Meta (X-Hub-Signature-256); unsigned when absent. */
  appSecret?: string;
}

export interface WebhookPostResult {
  status: number;
  body: string;
}

/**
 * POSTs a webhook payload like Meta does: the exact bytes that were signed, `application/json`,
 * `X-Hub-Signature-256` over those bytes. Network errors reject; any HTTP answer resolves.
 */
export async function postWebhook(
  target: WebhookTarget,
  payload: unknown,
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<WebhookPostResult> {
  const raw = JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (target.appSecret) headers[SIGNATURE_HEADER] = signPayload(raw, target.appSecret);
  const res = await (opts.fetch ?? fetch)(target.url, {
    method: "POST",
    headers,
    body: raw,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  return { status: res.status, body: await res.text() };
}
