import type { MetaError } from "@flank/shared/contract";
import type { SendFailure } from "./error-classifier.js";
import type { GraphBody } from "./graph-body.js";
import { fetchRequest, type LeanAnswer, type LeanRequest } from "./lean-fetch.js";

export type GraphCallResult =
  | { ok: true; status: number; body: unknown; wamid?: string }
  | { ok: false; failure: SendFailure; error: MetaError; body?: unknown };

export interface GraphClient {
  send(phoneNumberId: string, token: string, body: GraphBody): Promise<GraphCallResult>;
}

export interface GraphClientOptions {
  base: string;
  timeoutMs: number;
  /** The transport: the global fetch by default; the responder passes lean-fetch.ts's. */
  request?: LeanRequest;
}

interface MetaErrorBody {
  error?: { code?: unknown; message?: unknown; error_data?: { details?: unknown }; type?: unknown };
}

const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** POST /{phone_number_id}/messages with the given transport and a hard timeout; never throws. */
export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const request = opts.request ?? fetchRequest();
  const base = opts.base.replace(/\/+$/, "");
  return {
    async send(phoneNumberId, token, body) {
      let res: LeanAnswer;
      try {
        res = await request(`${base}/${encodeURIComponent(phoneNumberId)}/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          timeoutMs: opts.timeoutMs,
        });
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
        parsed = res.text ? JSON.parse(res.text) : undefined;
      } catch {
        parsed = res.text;
      }
      if (res.status >= 200 && res.status <= 299) {
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
