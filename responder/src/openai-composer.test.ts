import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import { type RedirectServers, startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeanHttp, fetchRequest, type LeanRequest } from "./lean-fetch.js";
import { createOpenAIModel, modelFailureReason } from "./openai-composer.js";

let server: OpenAITestServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.stop());

// The responder gives the model its lean request; over the global fetch it must behave the same.
let transport: LeanRequest;
const model = (over: Partial<Parameters<typeof createOpenAIModel>[0]> = {}) =>
  createOpenAIModel({
    request: transport,
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
  ["global fetch", fetchRequest(fetch)],
  ["lean request", createLeanHttp().request],
])("OpenAI model against a local OpenAI-compatible server on %s", (_, f) => {
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

  it("retries a 429 before giving up, waiting what retry-after-ms says", async () => {
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

  it("retries what the SDK retries and nothing else: x-should-retry, then 408/409/429/5xx and timeouts", async () => {
    const noWait = { sleep: async () => {} };
    let before = server.requests.length;
    server.setHandler(() => ({ status: 400, error: { message: "bad" } }));
    expect(
      await failure(model({ maxRetries: 2, ...noWait }).complete([{ role: "user", content: "x" }])),
    ).toBe("http_400");
    expect(server.requests.length - before).toBe(1);
    before = server.requests.length;
    server.setHandler(() => ({
      status: 400,
      error: { message: "bad" },
      headers: { "x-should-retry": "true" },
    }));
    await failure(model({ maxRetries: 1, ...noWait }).complete([{ role: "user", content: "x" }]));
    expect(server.requests.length - before).toBe(2);
    before = server.requests.length;
    server.setHandler(() => ({ hang: true }));
    expect(
      await failure(
        model({ maxRetries: 1, timeoutMs: 100, ...noWait }).complete([{ role: "user", content: "x" }]),
      ),
    ).toBe("timeout");
    expect(server.requests.length - before).toBe(2);
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
    transport = createLeanHttp().request;
    expect(
      await failure(
        model({ baseUrl: `${servers.redirector}/v1` }).complete([{ role: "user", content: "q" }]),
      ),
    ).toBe("http_307");
    expect(servers.seen).toEqual([]);
  });
});

describe("OpenAI model headers", () => {
  it("sends the organization and project when configured, as the openai SDK does, and neither otherwise", async () => {
    const seen: Record<string, string>[] = [];
    const request: LeanRequest = async (_url, init) => {
      seen.push({ ...init.headers });
      const text = JSON.stringify({ choices: [{ message: { content: "ok" } }] });
      return { status: 200, statusText: "", text, header: () => undefined };
    };
    await model({ request, organization: "org-1", project: "proj-1" }).complete([
      { role: "user", content: "q" },
    ]);
    await model({ request }).complete([{ role: "user", content: "q" }]);
    expect(seen[0]).toMatchObject({ "openai-organization": "org-1", "openai-project": "proj-1" });
    expect(seen[1]).not.toHaveProperty("openai-organization");
    expect(seen[1]).not.toHaveProperty("openai-project");
    expect(seen[1]?.authorization).toBe("Bearer sk-test");
  });
});
