import { type OpenAITestServer, startOpenAIServer, waitFor } from "@flank/shared/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBotHarness, TENANT, USER } from "./bot.harness.js";
import { countOf } from "./metrics.js";
import { createOpenAIModel } from "./openai-composer.js";

const CONVERSATION = `${TENANT}:${USER}`;
const MIN = 60_000;
let openai: OpenAITestServer;
beforeAll(async () => {
  openai = await startOpenAIServer();
});
afterAll(() => openai.stop());

let h: Awaited<ReturnType<typeof startBotHarness>>;
afterEach(() => h.stop());

const isSummaryCall = (content: unknown) => String(content).includes("long-term memory");

describe("conversation memory", () => {
  it("offline: summarizes extractively every SUMMARY_EVERY exchanges", async () => {
    h = await startBotHarness({ summaryEvery: 2 });
    await h.bus.publish(h.routed("I want a large pizza. With olives."));
    await waitFor(() => h.replies().length === 1);
    expect(await h.stores.summaries.get(CONVERSATION)).toBeUndefined();
    await h.bus.publish(h.routed("Deliver to Rua Augusta 10."));
    await waitFor(async () => (await h.stores.summaries.get(CONVERSATION)) !== undefined);
    const summary = await h.stores.summaries.get(CONVERSATION);
    expect(summary?.text).toBe("The user said: I want a large pizza. | Deliver to Rua Augusta 10.");
    expect(summary?.messageCount).toBe(4);
    expect(countOf(h.metrics.counts, "summaries", { mode: "extractive", trigger: "every" })).toBe(1);
  });

  it("an expired session is summarized by the model and the next session's prompt carries it", async () => {
    let now = Date.parse("2026-09-01T10:00:00Z");
    openai.setHandler((req) =>
      isSummaryCall(req.messages[0]?.content) ? { content: "Ana likes olives." } : { content: "sure" },
    );
    const model = createOpenAIModel({
      apiKey: "k",
      baseUrl: openai.url,
      model: "m",
      temperature: 0,
      maxTokens: 50,
      timeoutMs: 2000,
      maxRetries: 0,
    });
    h = await startBotHarness({ model, now: () => now });
    await h.bus.publish(h.routed("I like olives"));
    await waitFor(() => h.replies().length === 1);
    expect(await h.stores.summaries.get(CONVERSATION)).toBeUndefined();

    now += 31 * MIN; // the flow's idle timeout is 30 minutes
    const before = openai.requests.length;
    await h.bus.publish(h.routed("hello again"));
    await waitFor(() => h.replies().length === 2);
    const summary = await h.stores.summaries.get(CONVERSATION);
    expect(summary?.text).toBe("Ana likes olives.");
    expect(countOf(h.metrics.counts, "summaries", { mode: "model", trigger: "expired" })).toBe(1);

    const calls = openai.requests.slice(before);
    expect(calls.map((c) => isSummaryCall(c.messages[0]?.content))).toEqual([true, false]);
    const prompt = calls[1]?.messages ?? [];
    expect(prompt[0]?.content).toContain(
      "Summary of earlier conversations with this user: Ana likes olives.",
    );
    // The old session's turns are not replayed; the summary stands in for them.
    expect(prompt.map((m) => m.content).slice(1)).toEqual(["hello again"]);
  });
});
