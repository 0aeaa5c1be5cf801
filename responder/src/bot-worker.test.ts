import { type OpenAITestServer, startOpenAIServer, waitFor } from "@flank/shared/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBotHarness, USER } from "./bot.harness.js";
import { countOf } from "./metrics.js";
import { createOpenAIModel } from "./openai-composer.js";

let openai: OpenAITestServer;
beforeAll(async () => {
  openai = await startOpenAIServer();
});
afterAll(() => openai.stop());

const model = (timeoutMs = 2000) =>
  createOpenAIModel({
    apiKey: "sk-test",
    baseUrl: openai.url,
    model: "gpt-test",
    temperature: 0.2,
    maxTokens: 100,
    timeoutMs,
    maxRetries: 0,
  });

let h: Awaited<ReturnType<typeof startBotHarness>>;
afterEach(() => h.stop());

describe("bot worker", () => {
  it("marks read with typing, then publishes the model's reply keyed by the inbound wamid", async () => {
    openai.setHandler((req) => ({ content: `reply to ${String(req.messages.at(-1)?.content)}` }));
    h = await startBotHarness({ model: model() });
    const before = openai.requests.length;
    await h.bus.publish(h.routed("hello there", { wamid: "wamid.A" }));
    await waitFor(() => h.requests.length === 2, { what: "read + reply" });
    const [read, reply] = h.requests;
    expect(read?.data).toMatchObject({
      idempotencyKey: "read:wamid.A",
      to: USER,
      source: "bot",
      message: { type: "read", messageId: "wamid.A", typing: true },
    });
    expect(reply?.data).toMatchObject({
      idempotencyKey: "bot:wamid.A",
      to: USER,
      source: "bot",
      message: { type: "text", body: "reply to hello there" },
    });
    const prompt = openai.requests[before];
    expect(prompt?.messages[0]?.content).toContain("You are ShopBot.");
    expect(prompt?.messages[0]?.content).toContain("Current goal: Greet the customer.");
    expect(prompt?.messages[0]?.content).toContain("name: Ana");
  });

  it("feeds the session's earlier turns into the next prompt", async () => {
    openai.setHandler(() => ({ content: "ok" }));
    h = await startBotHarness({ model: model() });
    await h.bus.publish(h.routed("my name is Ana"));
    await waitFor(() => h.replies().length === 1);
    const before = openai.requests.length;
    await h.bus.publish(h.routed("what is my name?"));
    await waitFor(() => h.replies().length === 2);
    expect(openai.requests[before]?.messages.map((m) => m.content).slice(1)).toEqual([
      "my name is Ana",
      "ok",
      "what is my name?",
    ]);
  });

  it("model failure: sends the fallback reply, counts and logs the error", async () => {
    openai.setHandler(() => ({ hang: true }));
    h = await startBotHarness({ model: model(150) });
    await h.bus.publish(h.routed("hi"));
    await waitFor(() => h.replies().length === 1, { timeoutMs: 3000 });
    expect(h.replies()[0]?.data.message).toEqual({ type: "text", body: "Sorry, try again later." });
    expect(countOf(h.metrics.counts, "model_failures", { reason: "timeout" })).toBe(1);
    expect(h.logs.some((l) => l.level === 50 && l.reason === "timeout")).toBe(true);
    openai.setHandler(() => ({ status: 500, error: { message: "boom" } }));
    await h.bus.publish(h.routed("again"));
    await waitFor(() => h.replies().length === 2, { timeoutMs: 3000 });
    expect(countOf(h.metrics.counts, "model_failures", { reason: "server_error" })).toBe(1);
  });

  it("offline: rotates the stage's scripted replies; options become buttons", async () => {
    h = await startBotHarness();
    await h.bus.publish(h.routed("one"));
    await waitFor(() => h.replies().length === 1);
    await h.bus.publish(h.routed("two"));
    await waitFor(() => h.replies().length === 2);
    await h.bus.publish(h.routed("menu?", { stage: "menu" }));
    await waitFor(() => h.replies().length === 3);
    expect(h.replies().map((r) => r.data.message)).toEqual([
      { type: "text", body: "Hi!" },
      { type: "text", body: "Hello again!" },
      { type: "buttons", body: "Pick one", buttons: [{ id: "pizza", title: "Pizza" }] },
    ]);
    expect(countOf(h.metrics.counts, "replies", { mode: "offline" })).toBe(3);
  });

  it("a redelivered event never produces a second reply", async () => {
    h = await startBotHarness();
    const event = h.routed("hi", { wamid: "wamid.R" });
    await h.bot.handle(event);
    await h.bot.handle(event);
    await waitFor(() => h.requests.length >= 2);
    await h.bus.publish(h.routed("next"));
    await waitFor(() => h.replies().length === 2);
    expect(h.replies().filter((r) => r.data.idempotencyKey === "bot:wamid.R")).toHaveLength(1);
    expect(h.requests.filter((r) => r.data.idempotencyKey === "read:wamid.R")).toHaveLength(1);
    // The second reply rotated once: the redelivery did not count as another answer.
    expect(h.replies()[1]?.data.message).toEqual({ type: "text", body: "Hello again!" });
  });

  it("ignores other routes, and skips the read receipt when MARK_READ is off", async () => {
    h = await startBotHarness({ options: { markRead: false } });
    await h.bus.publish(h.routed("for an agent", { route: "agent:7" }));
    await h.bus.publish(h.routed("for the bot"));
    await waitFor(() => h.requests.length === 1);
    expect(h.requests[0]?.data.message.type).toBe("text");
  });
});

describe("bot worker: groups, edits and revokes, the business app's lines", () => {
  it("answers a group message in the group (Meta's group recipient form), never privately", async () => {
    h = await startBotHarness();
    await h.bus.publish(h.routed("hello all", { wamid: "wamid.G", groupId: "GROUP1" }));
    await waitFor(() => h.replies().length === 1);
    expect(h.replies()[0]?.data).toMatchObject({ to: "GROUP1", recipientType: "group" });
    expect(h.requests.every((r) => r.data.to === "GROUP1")).toBe(true);
  });

  it("keeps a revoked message out of the prompt, shows an edit's new text and the app's replies", async () => {
    openai.setHandler(() => ({ content: "noted" }));
    h = await startBotHarness({ model: model() });
    await h.bus.publish(h.routed("my card is 4111 1111", { wamid: "wamid.R" }));
    await waitFor(() => h.replies().length === 1);
    await h.bus.publish(h.routed("I want red", { wamid: "wamid.E" }));
    await waitFor(() => h.replies().length === 2);
    const at = new Date().toISOString();
    // What the router records (router/src/amendments.ts, sync-echoes.ts), in any order.
    await h.cache.appendMessages(
      h.routed("x").conversationId,
      [
        { role: "user", text: "", at, id: "wamid.R", amends: "revoke" },
        { role: "user", text: "I want blue", at, id: "wamid.E", amends: "edit" },
        { role: "agent", text: "A person here: blue is in stock.", at, id: "wamid.ECHO" },
      ],
      50,
    );
    const before = openai.requests.length;
    await h.bus.publish(h.routed("what do I want?"));
    await waitFor(() => h.replies().length === 3);
    const prompt = JSON.stringify(openai.requests[before]?.messages);
    expect(prompt).not.toContain("4111");
    expect(prompt).not.toContain("I want red");
    expect(prompt).toContain("I want blue");
    expect(openai.requests[before]?.messages).toContainEqual({
      role: "assistant",
      content: "A person here: blue is in stock.",
    });
  });
});
