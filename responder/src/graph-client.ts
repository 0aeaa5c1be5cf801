import type { MetaError } from "@flank/shared";
import type { SendFailure } from "./error-classifier.js";
import type { GraphBody } from "./graph-body.js";

export type GraphCallResult =
  | { ok: true; status: number; body: unknown; wamid?: string }
  | { ok: false; failure: SendFailure; error: MetaError; body?: unknown };

export interface GraphClient {
  send(phoneNumberId: string, token: string, body: GraphBody): Promise<GraphCallResult>;
}

export interface GraphClientOptions {
  /** e.g. https://graph.facebook.com/v25.0, or a test server (config.whatsapp.graphApiBase). */
  base: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

interface MetaErrorBody {
  error?: { code?: unknown; message?: unknown; error_data?: { details?: unknown }; type?: unknown };
}

const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** POST /{phone_number_id}/messages with the given fetch (the global one by default) and a hard timeout; never throws. */
export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.base.replace(/\/+$/, "");
  return {
    async send(phoneNumberId, token, body) {
      let res: Response;
      let text: string;
      try {
        res = await doFetch(`${base}/${encodeURIComponent(phoneNumberId)}/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        const name = (err as { name?: string }).name;
        const timedOut = name === "TimeoutError" || name === "AbortError";
        return {
          ok: false,
          failure: timedOut ? { kind: "timeout" } : { kind: "network" },
          error: {
            code: -1,
            title: timedOut ? "timeout" : "network error",
            message: timedOut ? `no answer within ${opts.timeoutMs} ms` : String((err as Error).message),
          },
        };
      }
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      if (res.ok) {
        const wamid = asString((parsed as { messages?: { id?: unknown }[] } | undefined)?.messages?.[0]?.id);
        return { ok: true, status: res.status, body: parsed, ...(wamid ? { wamid } : {}) };
      }
      const meta = (parsed as MetaErrorBody | undefined)?.error;
      if (meta && typeof meta.code === "number") {
        const message = asString(meta.message);
        const details = asString(meta.error_data?.details);
        return {
          ok: false,
          failure: { kind: "meta", status: res.status, code: meta.code },
          error: {
            code: meta.code,
            ...(message ? { message, title: message } : {}),
            ...(details ? { details } : {}),
          },
          body: parsed,
        };
      }
      return {
        ok: false,
        failure: { kind: "http", status: res.status },
        error: {
          code: -1,
          title: `HTTP ${res.status}`,
          message: typeof parsed === "string" ? parsed : res.statusText,
        },
        body: parsed,
      };
    },
  };
}
