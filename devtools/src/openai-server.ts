import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseMultipart } from "@flank/shared/http";

/**
 * A local OpenAI-compatible server (POST /v1/chat/completions, the real wire format) for tests and
 * benchmarks, so the official `openai` SDK is exercised end to end without a network.
 */
export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

/** What the handler decides for one request. */
export type ChatReply =
  | { content: string; delayMs?: number }
  | {
      status: number;
      error: { message: string; type?: string; code?: string | null };
      headers?: Record<string, string>;
    }
  /** Never answers: the client's timeout must fire. */
  | { hang: true };

export type ChatHandler = (request: ChatRequest, index: number) => ChatReply | Promise<ChatReply>;

/** A `POST /v1/audio/transcriptions` the server received (multipart, as the OpenAI API takes it). */
export interface TranscriptionRequest {
  model: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
  authorization?: string;
}

/** The transcript for a request, or an HTTP error status to answer with. */
export type TranscriptionHandler = (request: TranscriptionRequest) => { text: string } | { status: number };

export interface OpenAITestServer {
  /** Base URL for the SDK's `baseURL` (ends in /v1). */
  url: string;
  requests: ChatRequest[];
  transcriptions: TranscriptionRequest[];
  setHandler(handler: ChatHandler): void;
  setTranscriber(handler: TranscriptionHandler): void;
  stop(): Promise<void>;
}

const lastUserText = (req: ChatRequest): string => {
  const last = [...req.messages].reverse().find((m) => m.role === "user");
  return typeof last?.content === "string" ? last.content : "";
};

/** Default: echoes the last user message, so a test can see what the model was given. */
export const echoHandler: ChatHandler = (req) => ({ content: `echo: ${lastUserText(req)}` });

export async function startOpenAIServer(initial: ChatHandler = echoHandler): Promise<OpenAITestServer> {
  let handler = initial;
  let transcriber: TranscriptionHandler = (r) => ({ text: `transcript of ${r.bytes.length} bytes` });
  const transcriptions: TranscriptionRequest[] = [];
  const requests: ChatRequest[] = [];
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === "POST" && req.url?.endsWith("/audio/transcriptions")) {
      const form = parseMultipart(Buffer.concat(chunks), req.headers["content-type"] ?? "");
      const request = {
        model: form.fields.model ?? "",
        filename: form.file?.filename ?? "",
        contentType: form.file?.contentType ?? "",
        bytes: form.file?.bytes ?? Buffer.alloc(0),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      };
      transcriptions.push(request);
      const answer = transcriber(request);
      res.writeHead("status" in answer ? answer.status : 200, { "content-type": "application/json" });
      res.end(JSON.stringify("status" in answer ? { error: { message: "scripted failure" } } : answer));
      return;
    }
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" },
        }),
      );
      return;
    }
    let body: ChatRequest;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "invalid JSON", type: "invalid_request_error" } }));
      return;
    }
    const index = requests.push(body) - 1;
    const reply = await handler(body, index);
    if ("hang" in reply) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if ("status" in reply) {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify({ error: { type: "api_error", code: null, ...reply.error } }));
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${index}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          { index: 0, message: { role: "assistant", content: reply.content }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }),
    );
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    transcriptions,
    setHandler: (h) => {
      handler = h;
    },
    setTranscriber: (h) => {
      transcriber = h;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
