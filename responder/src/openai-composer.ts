import { fetchRequest, type LeanAnswer, type LeanRequest } from "./lean-fetch.js";
import type { ChatMessage } from "./prompt.js";

/** A chat model: the responder's only view of OpenAI (or any compatible server). */
export interface ChatModel {
  complete(messages: readonly ChatMessage[], opts?: { maxTokens?: number }): Promise<string>;
}

export interface OpenAIModelOptions {
  apiKey: string;
  /** OPENAI_BASE_URL: any OpenAI-compatible server (config gives the SDK's default when unset). */
  baseUrl: string;
  /** OPENAI_ORG_ID and OPENAI_PROJECT_ID, sent as the SDK sends them. */
  organization?: string;
  project?: string;
  model: string;
  temperature: number;
  maxTokens: number;
  /** Per attempt, as the SDK's `timeout`. */
  timeoutMs: number;
  /** Retries (connection errors, timeouts, 408, 409, 429, 5xx) before a call counts as failed. */
  maxRetries: number;
  /** The transport: the responder's lean `request` (lean-fetch.ts); the global fetch when left out. */
  request?: LeanRequest;
  /** Waits between retries; fake timers replace it in tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class EmptyCompletionError extends Error {
  constructor() {
    super("the model returned no content");
    this.name = "EmptyCompletionError";
  }
}

/** The model's server answered with an error status (after the retries it allows). */
export class ModelStatusError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`model call failed with HTTP ${status}: ${body.slice(0, 500)}`);
    this.name = "ModelStatusError";
  }
}

/** No answer: the connection failed, or no answer came within the timeout (`timedOut`). */
export class ModelConnectionError extends Error {
  constructor(
    readonly timedOut: boolean,
    options: { cause: unknown },
  ) {
    super(timedOut ? "model call timed out" : "model call: connection failed", options);
    this.name = "ModelConnectionError";
  }
}

/**
 * The chat completion call over the responder's own HTTP pool, without the openai SDK: the one
 * non-streaming call the bot makes, which through the SDK built a Request, Headers, an
 * AbortController and a Response per call and was about a tenth of the responder's CPU in the
 * bench profile (docs/benchmarks.md). It keeps the SDK's behaviour for this call: the same body,
 * the per-attempt timeout, and its retries (connection errors and timeouts, 408, 409, 429 and 5xx,
 * `x-should-retry`, `retry-after-ms` / `retry-after`, else 0.5 s doubling up to 8 s with up to a
 * quarter of jitter) and its organization and project headers. Redirects are not followed (the key
 * stays with OPENAI_BASE_URL's origin). The SDK is not loaded at all: it was kept for its default
 * base URL and environment reading, which cost the responder ~4 MB resident (now in config).
 */
export function createOpenAIModel(opts: OpenAIModelOptions): ChatModel {
  const url = `${opts.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.apiKey}`,
    "content-type": "application/json",
    accept: "application/json",
    ...(opts.organization ? { "openai-organization": opts.organization } : {}),
    ...(opts.project ? { "openai-project": opts.project } : {}),
  };
  const request = opts.request ?? fetchRequest();
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  return {
    async complete(messages, callOpts = {}) {
      const body = JSON.stringify({
        model: opts.model,
        // Image parts only ever appear in user messages (prompt.ts), which is where the API takes them.
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        temperature: opts.temperature,
        max_tokens: callOpts.maxTokens ?? opts.maxTokens,
      });
      for (let retry = 0; ; retry++) {
        let res: LeanAnswer;
        try {
          res = await request(url, { method: "POST", headers, body, timeoutMs: opts.timeoutMs });
        } catch (err) {
          if (retry < opts.maxRetries) {
            await sleep(backoffMs(retry, random));
            continue;
          }
          throw new ModelConnectionError(isTimeout(err), { cause: err });
        }
        if (res.status >= 200 && res.status < 300) {
          const completion = JSON.parse(res.text) as {
            choices?: { message?: { content?: string | null } }[];
          };
          const content = completion.choices?.[0]?.message?.content?.trim();
          if (!content) throw new EmptyCompletionError();
          return content;
        }
        if (retry < opts.maxRetries && retryable(res)) {
          await sleep(retryAfterMs(res) ?? backoffMs(retry, random));
          continue;
        }
        throw new ModelStatusError(res.status, res.text);
      }
    },
  };
}

function retryable(res: LeanAnswer): boolean {
  const told = res.header("x-should-retry");
  if (told === "true") return true;
  if (told === "false") return false;
  return res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
}

/** What the server asked to wait, as the SDK reads it: `retry-after-ms`, else `retry-after` (seconds or a date). */
function retryAfterMs(res: LeanAnswer): number | undefined {
  const ms = Number.parseFloat(res.header("retry-after-ms") ?? "");
  if (!Number.isNaN(ms)) return ms;
  const after = res.header("retry-after");
  if (!after) return undefined;
  const seconds = Number.parseFloat(after);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const at = Date.parse(after);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const backoffMs = (retry: number, random: () => number) =>
  Math.min(0.5 * 2 ** retry, 8) * (1 - random() * 0.25) * 1000;

const isTimeout = (err: unknown) =>
  (err instanceof Error || err instanceof DOMException) &&
  (err.name === "TimeoutError" || err.name === "AbortError" || /timed? ?out/i.test(err.message));

/** A short label for a failed model call, for the counter and the log. */
export function modelFailureReason(err: unknown): string {
  if (err instanceof ModelConnectionError) return err.timedOut ? "timeout" : "connection";
  if (err instanceof ModelStatusError) {
    return err.status === 429 ? "rate_limited" : err.status >= 500 ? "server_error" : `http_${err.status}`;
  }
  if (err instanceof EmptyCompletionError) return "empty";
  return "error";
}
