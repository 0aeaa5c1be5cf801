import type { Logger } from "@flank/shared/log";
import type { Summary, SummaryStore } from "@flank/shared/store";
import type { ResponderMetrics } from "./metrics.js";
import type { ChatModel } from "./openai-composer.js";
import type { Turn } from "./prompt.js";
import {
  currentSession,
  extractiveSummary,
  markOf,
  sessionExpired,
  summaryPrompt,
  type TurnMark,
  uncovered,
  uncoveredExchanges,
} from "./session.js";
import type { SessionHistory } from "./session-history.js";

/**
 * What `record` needs of what `prepare` read: the recent turns' marks (at least the summary window)
 * and the summary. Marks, not turns: the state is held while the model runs, a thousand replies at
 * once (`node bench/heap-in-flight.mjs --history=10`).
 */
export interface MemoryState {
  marks: TurnMark[];
  summary?: Summary;
}

export const DEFAULT_SUMMARY_MAX_IN_FLIGHT = 100;

export interface MemoryKeeperDeps {
  summaries: SummaryStore;
  history: SessionHistory;
  /** Undefined in offline mode: summaries are extractive. */
  model?: ChatModel;
  /** Summarize after this many user messages (SUMMARY_EVERY). */
  summaryEvery: number;
  /** Summaries composed at once, beside the replies (SUMMARY_MAX_IN_FLIGHT). */
  summaryMaxInFlight?: number;
  metrics: ResponderMetrics;
  log: Logger;
  now?: () => number;
}

/** Conversations waiting for their periodic summary; past it, one is summarized at a later exchange. */
const MAX_WAITING_SUMMARIES = 10_000;

/**
 * Long-term memory (summaries) and short-term memory (the session's turns). A session ends after
 * the flow's idle timeout; it is summarized then, when the user's next message shows it expired
 * (so no sweeper is needed and any instance can do it), and every SUMMARY_EVERY exchanges.
 *
 * The periodic summary runs beside the conversation, not in its turn: it is a model call as long
 * as a reply's, and held in the turn it delayed the conversation's next reply and, when many
 * conversations reached it together, filled the model calls in flight that replies wait for.
 * At most SUMMARY_MAX_IN_FLIGHT run at once; each reads the conversation when it starts, so a
 * summary that waited covers what came meanwhile, and a crash before it is stored loses nothing
 * (the exchanges stay uncovered and the next one schedules it again).
 */
export class MemoryKeeper {
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  /** Conversations whose summary waits for room, started oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<string>();

  constructor(private readonly deps: MemoryKeeperDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Enough turns to hold every exchange since the last summary. */
  private get window(): number {
    return this.deps.summaryEvery * 2 + 4;
  }

  /**
   * Before composing: the long-term summary and the active session's turns, plus what `record`
   * needs afterwards (`state`), so it need not read them again.
   */
  async prepare(
    conversationId: string,
    idleMs: number,
    maxTurns: number,
  ): Promise<{ summary?: string; session: Turn[]; turns: Turn[]; state: MemoryState }> {
    const now = this.now();
    const turns = await this.deps.history.recent(conversationId, Math.max(maxTurns, this.window));
    let summary = await this.deps.summaries.get(conversationId);
    if (sessionExpired(turns, now, idleMs)) {
      // A periodic summary of this conversation still being written is the one to build on.
      const running = this.running.get(conversationId);
      if (running) {
        await running;
        summary = await this.deps.summaries.get(conversationId);
      }
      const pending = uncovered(turns, summary?.updatedAt);
      if (pending.length > 0) summary = await this.write(conversationId, summary, pending, "expired");
    }
    const session = currentSession(turns, now, idleMs);
    return {
      ...(summary ? { summary: summary.text } : {}),
      session: session.slice(-Math.max(0, maxTurns)),
      turns,
      state: { marks: turns.map(markOf), ...(summary ? { summary } : {}) },
    };
  }

  /**
   * After replying: remember the turns, and schedule the summary every SUMMARY_EVERY exchanges
   * (it runs in the background). With the `state` its `prepare` returned, the history and summary
   * are not read again: the bus hands one conversation's messages to one handler at a time, so
   * nothing was added in between.
   */
  async record(conversationId: string, turns: readonly Turn[], state?: MemoryState): Promise<void> {
    await this.deps.history.append(conversationId, turns);
    const marks = state
      ? [...state.marks, ...turns.map(markOf)].slice(-this.window)
      : (await this.deps.history.recent(conversationId, this.window)).map(markOf);
    const summary = state ? state.summary : await this.deps.summaries.get(conversationId);
    if (uncoveredExchanges(marks, summary?.updatedAt) >= this.deps.summaryEvery)
      this.schedule(conversationId);
  }

  /** Resolves once the summaries running now are stored (those still waiting are left). */
  async settled(): Promise<void> {
    this.waiting.clear();
    await Promise.all(this.running.values());
  }

  private schedule(conversationId: string): void {
    if (this.running.has(conversationId) || this.waiting.has(conversationId)) return;
    if (this.waiting.size >= MAX_WAITING_SUMMARIES) return;
    this.waiting.add(conversationId);
    this.startWaiting();
  }

  private startWaiting(): void {
    const max = this.deps.summaryMaxInFlight ?? DEFAULT_SUMMARY_MAX_IN_FLIGHT;
    for (const conversationId of this.waiting) {
      if (this.running.size >= max) return;
      this.waiting.delete(conversationId);
      const job = this.summarize(conversationId).finally(() => {
        this.running.delete(conversationId);
        this.startWaiting();
      });
      this.running.set(conversationId, job);
    }
  }

  private async summarize(conversationId: string): Promise<void> {
    try {
      const recent = await this.deps.history.recent(conversationId, this.window);
      const summary = await this.deps.summaries.get(conversationId);
      if (uncoveredExchanges(recent.map(markOf), summary?.updatedAt) >= this.deps.summaryEvery)
        await this.write(conversationId, summary, uncovered(recent, summary?.updatedAt), "every");
    } catch (err) {
      this.deps.log.warn({ err, conversationId }, "summary not stored; retried at a later exchange");
    }
  }

  private async write(
    conversationId: string,
    previous: Summary | undefined,
    turns: Turn[],
    trigger: "every" | "expired",
  ): Promise<Summary> {
    let text: string | undefined;
    let mode: "model" | "extractive" = "model";
    if (this.deps.model) {
      try {
        text = await this.deps.model.complete(summaryPrompt(previous?.text, turns), { maxTokens: 300 });
      } catch (err) {
        this.deps.log.warn({ err, conversationId }, "model summary failed; using an extractive one");
      }
    }
    if (!text) {
      mode = "extractive";
      text = extractiveSummary(previous?.text, turns);
    }
    // updatedAt marks how far the summary covers: the newest summarized turn (or now, if later).
    const lastAt = Date.parse(turns[turns.length - 1]?.at ?? "") || 0;
    const summary: Summary = {
      conversationId,
      text,
      messageCount: (previous?.messageCount ?? 0) + turns.length,
      updatedAt: new Date(Math.max(lastAt, this.now())).toISOString(),
    };
    await this.deps.summaries.put(summary);
    this.deps.metrics.summaries.inc({ mode, trigger });
    this.deps.log.info({ conversationId, mode, trigger, covered: turns.length }, "conversation summarized");
    return summary;
  }
}
