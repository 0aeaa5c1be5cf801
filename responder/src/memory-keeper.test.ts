import { type OpenAITestServer, startOpenAIServer } from "@flank/devtools";
import { createLogger } from "@flank/shared/log";
import { createMemoryStores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBotHarness, TENANT, USER } from "./bot.harness.js";
import { MemoryKeeper } from "./memory-keeper.js";
import { countOf, createMemoryMetrics } from "./metrics.js";
import { type ChatModel, createOpenAIModel } from "./openai-composer.js";
import { MemorySessionHistory } from "./session-history.js";

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

describe("MemoryKeeper.record with prepare's state", () => {
  /** History and summaries that count their reads, over the in-memory ones. */
  const counted = () => {
    const history = new MemorySessionHistory();
    const summaries = createMemoryStores().summaries;
    const reads = { history: 0, summaries: 0 };
    const keeper = new MemoryKeeper({
      history: {
        append: (id, turns) => history.append(id, turns),
        recent: (id, n) => {
          reads.history++;
          return history.recent(id, n);
        },
      },
      summaries: {
        ...summaries,
        get: (id) => {
          reads.summaries++;
          return summaries.get(id);
        },
        put: (s) => summaries.put(s),
      },
      summaryEvery: 2,
      metrics: createMemoryMetrics(),
      log: createLogger({ level: "silent" }),
      // One fixed clock for both keepers: summaries are stamped with it.
      now: () => Date.UTC(2026, 0, 1, 0, 30),
    });
    return { keeper, history, summaries, reads };
  };
  const exchange = (n: number) => [
    { role: "user" as const, text: `question ${n}`, at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString() },
    {
      role: "assistant" as const,
      text: `answer ${n}`,
      at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    },
  ];

  it("reads nothing again, and summarizes at the same exchange as a fresh read would", async () => {
    const withState = counted();
    const without = counted();
    for (const n of [1, 2, 3]) {
      const prepared = await withState.keeper.prepare("c", 60 * MIN, 10);
      const readsBefore = { ...withState.reads };
      await withState.keeper.record("c", exchange(n), prepared.state);
      await withState.keeper.settled();
      // Only the summary due at the second exchange reads, when it starts in the background.
      const summaryReads = n === 2 ? 1 : 0;
      expect(withState.reads).toEqual({
        history: readsBefore.history + summaryReads,
        summaries: readsBefore.summaries + summaryReads,
      });
      await without.keeper.prepare("c", 60 * MIN, 10);
      await without.keeper.record("c", exchange(n));
      await without.keeper.settled();
    }
    expect(await withState.history.recent("c", 10)).toEqual(await without.history.recent("c", 10));
    const a = await withState.summaries.get("c");
    expect(a?.text).toMatch(/^The user said: question/);
    expect(a).toEqual(await without.summaries.get("c"));
  });
});

describe("periodic summaries run beside the conversation", () => {
  /** A model whose summary calls wait until released; counts them. */
  const heldModel = () => {
    const held: (() => void)[] = [];
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    const model = {
      complete: async () => {
        calls++;
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise<void>((resolve) => held.push(resolve));
        running--;
        return "a summary";
      },
    };
    const release = () => {
      for (const r of held.splice(0)) r();
    };
    return { model, release, stats: () => ({ calls, running, maxRunning, held: held.length }) };
  };
  const keeperWith = (model: ChatModel, summaryMaxInFlight: number) => {
    const summaries = createMemoryStores().summaries;
    const keeper = new MemoryKeeper({
      history: new MemorySessionHistory(),
      summaries,
      model,
      summaryEvery: 1,
      summaryMaxInFlight,
      metrics: createMemoryMetrics(),
      log: createLogger({ level: "silent" }),
    });
    return { keeper, summaries };
  };
  const turns = (n: number) => [
    { role: "user" as const, text: `q${n}`, at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString() },
    { role: "assistant" as const, text: `a${n}`, at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString() },
  ];

  it("record returns while the summary's model call is still running", async () => {
    const m = heldModel();
    const { keeper, summaries } = keeperWith(m.model, 10);
    // Before: record awaited the summary, so a reply's event was held for a second model call.
    await keeper.record("c", turns(1));
    await waitFor(() => m.stats().held === 1, { what: "the summary's model call" });
    expect(await summaries.get("c")).toBeUndefined();
    m.release();
    await keeper.settled();
    expect((await summaries.get("c"))?.text).toBe("a summary");
  });

  it("runs at most SUMMARY_MAX_IN_FLIGHT at once, the rest when room frees, one per conversation", async () => {
    const m = heldModel();
    const { keeper, summaries } = keeperWith(m.model, 2);
    for (const id of ["a", "b", "c", "d"]) await keeper.record(id, turns(1));
    await keeper.record("a", turns(2)); // already running: not scheduled twice
    await waitFor(() => m.stats().held === 2);
    expect(m.stats().calls).toBe(2);
    m.release();
    await waitFor(() => m.stats().held === 2);
    m.release();
    await waitFor(async () => (await summaries.get("d")) !== undefined);
    await keeper.settled();
    expect(m.stats()).toMatchObject({ calls: 4, maxRunning: 2 });
  });
});
