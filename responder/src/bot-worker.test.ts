import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import type { EventOf } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startBotHarness, USER } from "./bot.harness.js";
import { BotWorker, burstOf } from "./bot-worker.js";
import type { MemoryKeeper } from "./memory-keeper.js";

type Routed = EventOf<"conversation.routed">;

import { countOf } from "./metrics.js";
import { createOpenAIModel } from "./openai-composer.js";
import type { ChatMessage } from "./prompt.js";

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
    await waitFor(() => h.requests.length === 1, { what: "reply" });
    // The receipt goes out of band, before the model is asked.
    expect(h.reads).toEqual([{ wamid: "wamid.A", typing: true }]);
    expect(h.requests[0]?.data).toMatchObject({
      idempotencyKey: "bot:wamid.A",
      to: USER,
      source: "bot",
      answers: ["wamid.A"],
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

  it("lends its handler slot while the model composes, and only then", async () => {
    let inModel = false;
    const seen: boolean[] = [];
    openai.setHandler(() => {
      seen.push(inModel);
      return { content: "ok" };
    });
    h = await startBotHarness({ model: model() });
    const wait = async <T>(work: Promise<T>) => {
      inModel = true;
      try {
        return await work;
      } finally {
        inModel = false;
      }
    };
    await h.bot.handle(h.routed("hi", { wamid: "wamid.L" }), {
      attempt: 1,
      queued: () => [],
      absorb: () => {},
      wait,
    });
    expect(seen).toEqual([true]);
  });

  it("a redelivered event never produces a second reply, nor asks the model again", async () => {
    openai.setHandler(() => ({ content: "ok" }));
    h = await startBotHarness({ model: model() });
    const before = openai.requests.length;
    const event = h.routed("hi", { wamid: "wamid.R" });
    await h.bot.handle(event);
    await h.bot.handle(event, { attempt: 2, queued: () => [], absorb: () => {} });
    expect(openai.requests.length - before).toBe(1);
    await waitFor(() => h.requests.length >= 1);
    await h.bus.publish(h.routed("next"));
    await waitFor(() => h.replies().length === 2);
    expect(h.replies().filter((r) => r.data.idempotencyKey === "bot:wamid.R")).toHaveLength(1);
    // The redelivery was not recorded as another exchange.
    expect(
      openai.requests
        .at(-1)
        ?.messages.filter((m) => m.role === "user")
        .map((m) => m.content),
    ).toEqual(["hi", "next"]);
  });

  it("offline: a redelivered event does not rotate the scripted replies", async () => {
    h = await startBotHarness();
    const event = h.routed("hi", { wamid: "wamid.R" });
    await h.bot.handle(event);
    await h.bot.handle(event);
    await waitFor(() => h.requests.length >= 1);
    await h.bus.publish(h.routed("next"));
    await waitFor(() => h.replies().length === 2);
    expect(h.replies().filter((r) => r.data.idempotencyKey === "bot:wamid.R")).toHaveLength(1);
    // The second reply rotated once: the redelivery did not count as another answer.
    expect(h.replies()[1]?.data.message).toEqual({ type: "text", body: "Hello again!" });
  });

  it("ignores other routes, and skips the read receipt when MARK_READ is off", async () => {
    h = await startBotHarness({ options: { markRead: false } });
    await h.bus.publish(h.routed("for an agent", { route: "agent:7" }));
    await h.bus.publish(h.routed("for the bot"));
    await waitFor(() => h.requests.length === 1);
    expect(h.requests[0]?.data.message.type).toBe("text");
    expect(h.reads).toEqual([]);
  });
});

describe("bot worker: typing indicator", () => {
  afterEach(() => vi.useRealTimers());

  it("is refreshed while the model runs long, and never after the reply", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let answer = (_: string) => {};
    const slow = {
      complete: () =>
        new Promise<string>((r) => {
          answer = r;
        }),
    };
    h = await startBotHarness({ model: slow, options: { typingRefreshMs: 20_000 } });
    const handling = h.bot.handle(h.routed("a hard question", { wamid: "w-slow" }));
    await vi.waitFor(() => expect(h.reads).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(45_000);
    expect(h.reads).toEqual([
      { wamid: "w-slow", typing: true },
      { wamid: "w-slow", typing: true },
      { wamid: "w-slow", typing: true },
    ]);
    answer("done thinking");
    await handling;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.reads).toHaveLength(3);
    await waitFor(() => h.replies().length === 1);
  });
});

describe("bot worker: bursts", () => {
  /** A model whose answers wait until the test lets them go, recording what each call saw. */
  const heldModel = () => {
    const calls: string[][] = [];
    const gates: (() => void)[] = [];
    return {
      calls,
      release: () => gates.shift()?.(),
      model: {
        async complete(messages: readonly ChatMessage[]) {
          const users = messages.filter((m) => m.role === "user").map((m) => String(m.content));
          calls.push(users);
          await new Promise<void>((r) => gates.push(r));
          return `answer ${calls.length}`;
        },
      },
    };
  };

  it("combine: messages sent while a reply is composed are answered together in the next", async () => {
    const held = heldModel();
    h = await startBotHarness({ model: held.model });
    await h.bus.publish(h.routed("hi", { wamid: "w1" }));
    await waitFor(() => held.calls.length === 1, { what: "first model call" });
    // Another group sees the burst after the bot's reader did (the memory bus wakes readers in order).
    const seen: string[] = [];
    const watcher = await h.bus.consume({
      topic: "conversation.routed",
      group: "watch",
      handler: async (e) => void (e.type === "conversation.routed" && seen.push(e.data.message.wamid)),
    });
    await h.bus.publish(h.routed("I need", { wamid: "w2" }));
    await h.bus.publish(h.routed("a refund", { wamid: "w3" }));
    await waitFor(() => seen.includes("w3"), { what: "the burst received" });
    await watcher.close();
    held.release();
    await waitFor(() => held.calls.length === 2, { what: "second model call" });
    held.release();
    await waitFor(() => h.replies().length === 2, { what: "two replies" });
    expect(held.calls.map((c) => c.slice(-2))).toEqual([["hi"], ["I need", "a refund"]]);
    expect(held.calls[1]?.slice(-3)).toEqual(["hi", "I need", "a refund"]);
    expect(h.replies().map((r) => [r.data.idempotencyKey, r.data.answers])).toEqual([
      ["bot:w1", ["w1"]],
      ["bot:w2", ["w2", "w3"]],
    ]);
    // One receipt a reply, for the newest message, with the typing indicator: Meta marks the
    // earlier ones in the thread read with it.
    expect(h.reads).toEqual([
      { wamid: "w1", typing: true },
      { wamid: "w3", typing: true },
    ]);
  });

  it("each: one reply per message", async () => {
    const held = heldModel();
    h = await startBotHarness({ model: held.model, options: { burstMode: "each" } });
    await h.bus.publish(h.routed("hi", { wamid: "w1" }));
    await waitFor(() => held.calls.length === 1);
    await h.bus.publish([h.routed("I need", { wamid: "w2" }), h.routed("a refund", { wamid: "w3" })]);
    for (let n = 1; n <= 3; n++) {
      await waitFor(() => held.calls.length === n, { what: `model call ${n}` });
      held.release();
    }
    await waitFor(() => h.replies().length === 3);
    expect(h.replies().map((r) => r.data.answers)).toEqual([["w1"], ["w2"], ["w3"]]);
  });

  it("a burst wait lets messages sent together get one answer", async () => {
    const held = heldModel();
    h = await startBotHarness({ model: held.model, options: { burstWaitMs: 30 } });
    await h.bus.publish([
      h.routed("hi", { wamid: "w1" }),
      h.routed("I need", { wamid: "w2" }),
      h.routed("a refund", { wamid: "w3" }),
    ]);
    await waitFor(() => held.calls.length === 1);
    held.release();
    await waitFor(() => h.replies().length === 1);
    expect(held.calls[0]?.slice(-3)).toEqual(["hi", "I need", "a refund"]);
    expect(h.replies()[0]?.data.answers).toEqual(["w1", "w2", "w3"]);
  });

  it("a redelivered message is answered alone, so the messages behind it are not skipped with it", async () => {
    const held = heldModel();
    h = await startBotHarness({ model: held.model });
    // Before a crash the first message was answered on its own (its key is published)...
    const first = h.routed("hi", { wamid: "w1" });
    const second = h.routed("I need", { wamid: "w2" });
    const answering = h.bot.handle(first);
    await waitFor(() => held.calls.length === 1);
    held.release();
    await answering;
    // ...and both come back together after it.
    const queue = [second];
    const redelivered = h.bot.handle(first, {
      attempt: 2,
      queued: () => queue,
      absorb: (n) => void queue.splice(0, n),
    });
    // The first was answered and recorded: no second model call, and the second is left queued.
    await redelivered;
    expect(held.calls).toHaveLength(1);
    expect(queue).toEqual([second]);
    const next = h.bot.handle(second, { attempt: 2, queued: () => [], absorb: () => {} });
    await waitFor(() => held.calls.length === 2);
    held.release();
    await next;
    expect(held.calls[1]?.slice(-2)).toEqual(["hi", "I need"]);
    await waitFor(() => h.replies().length === 2);
    expect(h.replies().map((r) => r.data.answers)).toEqual([["w1"], ["w2"]]);
  });

  it("a burst stops at a message routed elsewhere, which keeps its place", async () => {
    h = await startBotHarness();
    const head = h.routed("hi");
    const queued = [h.routed("more"), h.routed("agent please", { route: "queue" }), h.routed("x")];
    const burst = burstOf(head as Routed, queued, "combine");
    expect(burst.map((e) => e.data.message.text)).toEqual(["hi", "more"]);
    expect(burstOf(head as Routed, queued, "each")).toHaveLength(1);
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

describe("BotWorker.stop", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits for running summaries at most its timeout, then returns", async () => {
    vi.useFakeTimers();
    const memory = { settled: () => new Promise<void>(() => {}) } as unknown as MemoryKeeper;
    const bot = new BotWorker({ memory, options: {} } as unknown as ConstructorParameters<
      typeof BotWorker
    >[0]);
    let done = false;
    const stopping = bot.stop(5000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(done).toBe(true);
  });
});
