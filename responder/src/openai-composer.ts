import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChatMessage } from "./prompt.js";

/** A chat model: the responder's only view of OpenAI (or any compatible server). */
export interface ChatModel {
  complete(messages: readonly ChatMessage[], opts?: { maxTokens?: number }): Promise<string>;
}

export interface OpenAIModelOptions {
  apiKey: string;
  /** OPENAI_BASE_URL: any OpenAI-compatible server. */
  baseUrl?: string;
  model: string;
  temperature: number;
  maxTokens: number;
  timeoutMs: number;
  /** The SDK's own retries (429, 5xx, timeouts) before a call counts as failed. */
  maxRetries: number;
  /** The SDK's transport (the responder passes its lean fetch); the global fetch when left out. */
  fetch?: typeof fetch;
}

export class EmptyCompletionError extends Error {
  constructor() {
    super("the model returned no content");
    this.name = "EmptyCompletionError";
  }
}

export function createOpenAIModel(opts: OpenAIModelOptions): ChatModel {
  const client = new OpenAI({
    apiKey: opts.apiKey,
    ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return {
    async complete(messages, callOpts = {}) {
      const completion = await client.chat.completions.create({
        model: opts.model,
        // Image parts only ever appear in user messages (prompt.ts), which is where the API takes them.
        messages: messages.map((m) => ({ role: m.role, content: m.content }) as ChatCompletionMessageParam),
        temperature: opts.temperature,
        max_tokens: callOpts.maxTokens ?? opts.maxTokens,
      });
      const content = completion.choices[0]?.message?.content?.trim();
      if (!content) throw new EmptyCompletionError();
      return content;
    },
  };
}

/** A short label for a failed model call, for the counter and the log. */
export function modelFailureReason(err: unknown): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return "timeout";
  if (err instanceof OpenAI.APIConnectionError) return "connection";
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    return err.status === 429 ? "rate_limited" : err.status >= 500 ? "server_error" : `http_${err.status}`;
  }
  if (err instanceof EmptyCompletionError) return "empty";
  return "error";
}
