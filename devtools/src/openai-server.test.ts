import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenAITestServer, startOpenAIServer } from "./openai-server.js";

describe("OpenAI test server", () => {
  let server: OpenAITestServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => server.stop());

  it("answers the real SDK with the wire format and records the request", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.url, maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.choices[0]?.message.content).toBe("echo: hi");
    expect(server.requests.at(-1)?.model).toBe("m");
  });

  it("returns errors the SDK raises as API errors", async () => {
    server.setHandler(() => ({ status: 429, error: { message: "slow down", type: "rate_limit_error" } }));
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.url, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: "m", messages: [] })).rejects.toMatchObject({
      status: 429,
    });
  });
});
