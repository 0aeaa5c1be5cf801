import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import { createLogger } from "@flank/shared/log";
import { startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenAIClassifier, parseIntent } from "./classifier.js";

const log = createLogger({ level: "silent" });
const intents = [{ name: "book", description: "wants an appointment" }, { name: "cancel" }];

describe("OpenAI intent classifier", () => {
  let server: OpenAITestServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(() => server.stop());
  const classifier = (timeoutMs = 2000) =>
    createOpenAIClassifier({ apiKey: "sk-test", baseURL: server.url, model: "gpt-test", timeoutMs, log });

  it("asks for structured output with an enum of the flow's intents plus none", async () => {
    server.setHandler(() => ({ content: '{"intent":"book"}' }));
    const before = server.requests.length;
    expect(
      await classifier().classify({ text: "I'd like to come on Monday", intents, stageGoal: "greet" }),
    ).toBe("book");
    const req = server.requests[before];
    expect(req?.model).toBe("gpt-test");
    expect(req?.response_format?.type).toBe("json_schema");
    expect(req?.response_format?.json_schema?.schema).toMatchObject({
      properties: { intent: { type: "string", enum: ["book", "cancel", "none"] } },
      required: ["intent"],
    });
    expect(JSON.stringify(req?.messages)).toContain("wants an appointment");
    expect(req?.messages.at(-1)).toEqual({ role: "user", content: "I'd like to come on Monday" });
  });

  it("does not follow a redirect to another origin: the API key stays home", async () => {
    const servers = await startRedirectServers(307);
    try {
      const behind = createOpenAIClassifier({
        apiKey: "sk-secret",
        baseURL: `${servers.redirector}/v1`,
        model: "gpt-test",
        timeoutMs: 2000,
        log,
      });
      expect(await behind.classify({ text: "x", intents })).toBeUndefined();
      expect(servers.seen).toEqual([]);
    } finally {
      await servers.stop();
    }
  });

  it("returns none when the model says none", async () => {
    server.setHandler(() => ({ content: '{"intent":"none"}' }));
    expect(await classifier().classify({ text: "hm", intents })).toBe("none");
  });

  it("gives up on an error without retrying", async () => {
    server.setHandler(() => ({ status: 500, error: { message: "boom" } }));
    const before = server.requests.length;
    expect(await classifier().classify({ text: "x", intents })).toBeUndefined();
    expect(server.requests.length - before).toBe(1);
  });

  it("gives up when the model hangs past the timeout", async () => {
    server.setHandler(() => ({ hang: true }));
    const started = Date.now();
    expect(await classifier(300).classify({ text: "x", intents })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("rejects answers outside the enum or not JSON", async () => {
    server.setHandler(() => ({ content: '{"intent":"launch missiles"}' }));
    expect(await classifier().classify({ text: "x", intents })).toBeUndefined();
    expect(parseIntent("not json", ["a"])).toBeUndefined();
    expect(parseIntent('{"intent":"a"}', ["a"])).toBe("a");
  });

  it("does not call the model when the flow has no intents", async () => {
    const before = server.requests.length;
    expect(await classifier().classify({ text: "x", intents: [] })).toBe("none");
    expect(server.requests.length).toBe(before);
  });
});

describe("OpenAI intent classifier headers", () => {
  it("sends the configured organization and project, not the process environment's", async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "c",
            object: "chat.completion",
            created: 0,
            model: "gpt-test",
            choices: [
              {
                index: 0,
                finish_reason: "stop",
                message: { role: "assistant", content: '{"intent":"book"}' },
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const saved = process.env.OPENAI_ORG_ID;
    process.env.OPENAI_ORG_ID = "org-from-process-env";
    try {
      const classifier = createOpenAIClassifier({
        apiKey: "sk-test",
        baseURL: `http://127.0.0.1:${port}/v1`,
        organization: "org-1",
        project: "proj-1",
        model: "gpt-test",
        timeoutMs: 2000,
        log,
      });
      expect(await classifier.classify({ text: "Monday?", intents })).toBe("book");
      expect(seen[0]?.["openai-organization"]).toBe("org-1");
      expect(seen[0]?.["openai-project"]).toBe("proj-1");
    } finally {
      if (saved === undefined) delete process.env.OPENAI_ORG_ID;
      else process.env.OPENAI_ORG_ID = saved;
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
