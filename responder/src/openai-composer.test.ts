import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import { type RedirectServers, startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeanHttp } from "./lean-fetch.js";
import { createOpenAIModel, modelFailureReason } from "./openai-composer.js";

let server: OpenAITestServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.stop());

// The responder gives the SDK its lean fetch: the SDK must behave the same on it (retries, timeouts).
let transport: typeof fetch;
const model = (over: Partial<Parameters<typeof createOpenAIModel>[0]> = {}) =>
  createOpenAIModel({
    fetch: transport,
    apiKey: "sk-test",
    baseUrl: server.url,
    model: "gpt-test",
    temperature: 0.3,
    maxTokens: 123,
    timeoutMs: 2000,
    maxRetries: 0,
    ...over,
  });

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (err) {
    return modelFailureReason(err);
  }
  return "no error";
};

describe.each([
  ["global fetch", fetch],
  ["lean fetch", createLeanHttp().fetch],
])("OpenAI model (real SDK against a local server) on %s", (_, f) => {
  beforeAll(() => {
    transport = f;
  });

  it("sends model, temperature, max tokens and messages; returns the content", async () => {
    server.setHandler(() => ({ content: " the answer " }));
    const before = server.requests.length;
    const text = await model().complete([
      { role: "system", content: "s" },
      { role: "user", content: "q" },
    ]);
    expect(text).toBe("the answer");
    expect(server.requests[before]).toMatchObject({
      model: "gpt-test",
      temperature: 0.3,
      max_tokens: 123,
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "q" },
      ],
    });
  });

  it("the SDK retries a 429 before giving up", async () => {
    const before = server.requests.length;
    server.setHandler(() => ({
      status: 429,
      error: { message: "slow down" },
      headers: { "retry-after-ms": "10" },
    }));
    expect(await failure(model({ maxRetries: 2 }).complete([{ role: "user", content: "x" }]))).toBe(
      "rate_limited",
    );
    expect(server.requests.length - before).toBe(3);
  });

  it("labels 5xx, timeouts and empty answers", async () => {
    server.setHandler(() => ({ status: 503, error: { message: "down" } }));
    expect(await failure(model().complete([{ role: "user", content: "x" }]))).toBe("server_error");
    server.setHandler(() => ({ hang: true }));
    expect(await failure(model({ timeoutMs: 150 }).complete([{ role: "user", content: "x" }]))).toBe(
      "timeout",
    );
    server.setHandler(() => ({ content: "" }));
    expect(await failure(model().complete([{ role: "user", content: "x" }]))).toBe("empty");
  });
});

describe("OpenAI model behind a redirect", () => {
  let servers: RedirectServers;
  beforeAll(async () => {
    servers = await startRedirectServers(307);
  });
  afterAll(() => servers.stop());

  it("does not follow a 307 from OPENAI_BASE_URL to another origin: the key stays home", async () => {
    transport = createLeanHttp().fetch;
    expect(
      await failure(
        model({ baseUrl: `${servers.redirector}/v1` }).complete([{ role: "user", content: "q" }]),
      ),
    ).toBe("http_307");
    expect(servers.seen).toEqual([]);
  });
});
