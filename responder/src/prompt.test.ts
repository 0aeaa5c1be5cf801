import { describe, expect, it } from "vitest";
import { buildPrompt, estimateTokens, type PromptInput, systemPrompt, type Turn } from "./prompt.js";
import { inboundText, replyMessage, scriptedReply } from "./reply.js";

const turn = (role: Turn["role"], text: string, i = 0): Turn => ({
  role,
  text,
  at: new Date(i * 1000).toISOString(),
});

const base: PromptInput = {
  flowPrompt: "You are Flank's assistant.",
  stage: { goal: "Find out what the user wants to order." },
  summary: "Ana ordered pizza last week.",
  profile: { name: "Ana", facts: { city: "Lisbon", vip: true, nested: { no: 1 } } },
  history: [turn("user", "hello", 1), turn("assistant", "hi, what can I do?", 2)],
  messages: ["a pizza please"],
  maxHistory: 20,
  tokenBudget: 10_000,
};

describe("buildPrompt", () => {
  it("puts flow, stage, profile and summary in the system prompt, then history, then the new message", () => {
    const messages = buildPrompt(base);
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    const system = messages[0]?.content ?? "";
    expect(system).toContain("You are Flank's assistant.");
    expect(system).toContain("Current goal: Find out what the user wants to order.");
    expect(system).toContain("name: Ana; city: Lisbon; vip: true");
    expect(system).not.toContain("nested");
    expect(system).toContain("Summary of earlier conversations with this user: Ana ordered pizza last week.");
    expect(messages[3]).toEqual({ role: "user", content: "a pizza please" });
  });

  it("leaves out what is missing", () => {
    const system = systemPrompt({ stage: { goal: "Help." } });
    expect(system).toBe("Current goal: Help.");
  });

  it("tells the model about the stage's buttons", () => {
    const system = systemPrompt({
      stage: {
        goal: "g",
        options: {
          type: "buttons",
          buttons: [
            { id: "a", title: "Yes" },
            { id: "b", title: "No" },
          ],
        },
      },
    });
    expect(system).toContain("buttons: Yes, No");
  });

  it("keeps only the last maxHistory turns", () => {
    const history = Array.from({ length: 10 }, (_, i) => turn(i % 2 ? "assistant" : "user", `m${i}`, i));
    const messages = buildPrompt({ ...base, history, maxHistory: 3 });
    expect(messages.slice(1, -1).map((m) => m.content)).toEqual(["m7", "m8", "m9"]);
  });

  it("drops the oldest turns to fit the token budget, never the new message", () => {
    const history = Array.from({ length: 10 }, (_, i) => turn("user", `${"x".repeat(36)}${i}`, i)); // 10+4 tokens each
    const fixed = estimateTokens(systemPrompt(base)) + estimateTokens("a pizza please");
    const messages = buildPrompt({ ...base, history, tokenBudget: fixed + 3 * 14 + 5 });
    expect(messages.slice(1, -1).map((m) => m.content.slice(-1))).toEqual(["7", "8", "9"]);
    const tiny = buildPrompt({ ...base, history, tokenBudget: 1, messages: ["y".repeat(4000)] });
    expect(tiny.map((m) => m.role)).toEqual(["system", "user"]);
    expect(tiny[1]?.content).toHaveLength(4000);
  });

  it("puts a burst's messages last, in order, each as its own user message", () => {
    const messages = buildPrompt({ ...base, messages: ["hi", "I need", "a refund"] });
    expect(messages.slice(-3)).toEqual([
      { role: "user", content: "hi" },
      { role: "user", content: "I need" },
      { role: "user", content: "a refund" },
    ]);
  });

  it("estimates about four characters per token", () => {
    expect(estimateTokens("")).toBe(4);
    expect(estimateTokens("x".repeat(400))).toBe(104);
  });
});

describe("replyMessage", () => {
  it("plain text, clipped to 4096", () => {
    expect(replyMessage("hi", undefined)).toEqual({ type: "text", body: "hi" });
    const long = replyMessage("y".repeat(5000), undefined);
    expect(long.type === "text" && long.body.length).toBe(4096);
  });

  it("the stage's options become buttons or a list", () => {
    expect(replyMessage("Pick one", { type: "buttons", buttons: [{ id: "a", title: "A" }] })).toEqual({
      type: "buttons",
      body: "Pick one",
      buttons: [{ id: "a", title: "A" }],
    });
    const list = replyMessage("", {
      type: "list",
      body: "Our menu",
      button: "Menu",
      sections: [{ title: "Food", rows: [{ id: "p", title: "Pizza" }] }],
    });
    expect(list).toEqual({
      type: "list",
      body: "Our menu",
      button: "Menu",
      sections: [{ title: "Food", rows: [{ id: "p", title: "Pizza" }] }],
    });
  });
});

describe("scriptedReply (offline mode)", () => {
  it("rotates through the stage's replies by how many the bot already gave", () => {
    const replies = ["one", "two", "three"];
    expect(scriptedReply(replies, [])).toBe("one");
    expect(scriptedReply(replies, [turn("user", "a"), turn("assistant", "one")])).toBe("two");
    const four = Array.from({ length: 4 }, () => turn("assistant", "x"));
    expect(scriptedReply(replies, four)).toBe("two");
  });
});

describe("inboundText", () => {
  const msg = (extra: Record<string, unknown>) =>
    ({ wamid: "w", phoneNumberId: "1", timestamp: "t", type: "text", raw: {}, ...extra }) as Parameters<
      typeof inboundText
    >[0];
  it.each([
    [{ text: " hi " }, "hi"],
    [{ type: "interactive", interactive: { kind: "button_reply", id: "a", title: "Yes" } }, "Yes"],
    [{ type: "button", button: { text: "Stop" } }, "Stop"],
    [{ type: "location", location: { latitude: 1, longitude: 2, name: "HQ" } }, "[location 1,2 HQ]"],
    [{ type: "image" }, "[image]"],
    [{ type: "reaction", reaction: { messageId: "x", emoji: "y" } }, undefined],
    [{ type: "system" }, undefined],
  ])("%j", (extra, expected) => {
    expect(inboundText(msg(extra))).toBe(expected);
  });
});
