import { createSseParser } from "./sse.js";
import type { FlankEvent } from "./types.js";

/** An API answer that was not 2xx, with the gateway's error code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The agent API with one key (`Authorization: Bearer`), same origin. */
export function createApi(key: string) {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    more: Record<string, string> = {},
  ): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { ...headers, ...more },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok) {
      throw new ApiFailure(
        res.status,
        json.error?.code ?? String(res.status),
        json.error?.message ?? res.statusText,
      );
    }
    return json as T;
  }
  return {
    get: <T>(path: string) => call<T>("GET", path),
    /** `more`: extra headers (an Idempotency-Key). */
    post: <T>(path: string, body: unknown = {}, more: Record<string, string> = {}) =>
      call<T>("POST", path, body, more),
    /** Fire and forget, surviving the page's unload (the offline mark). */
    beacon: (path: string) =>
      void fetch(path, { method: "POST", headers, body: "{}", keepalive: true }).catch(() => {}),
    /**
     * Follows the agent stream until `signal` aborts, reconnecting after a drop (1 s, doubling to
     * 15 s). `onState` says whether it is live.
     */
    async follow(onEvent: (e: FlankEvent) => void, onState: (live: boolean) => void, signal: AbortSignal) {
      let delay = 1000;
      while (!signal.aborted) {
        try {
          const res = await fetch("/v1/agents/stream", { headers, signal });
          if (!res.ok || !res.body) throw new ApiFailure(res.status, "stream", "stream refused");
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          const parse = createSseParser();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (const frame of parse(value)) {
              if (frame.event === "ready") {
                onState(true);
                delay = 1000;
              } else if (frame.event !== "error") {
                onEvent(JSON.parse(frame.data) as FlankEvent);
              }
            }
          }
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof ApiFailure && err.status === 401) {
            onState(false);
            return;
          }
        }
        onState(false);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15_000);
      }
    },
  };
}

export type Api = ReturnType<typeof createApi>;
