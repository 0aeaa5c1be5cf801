/** The shape of a prom-client Counter, so one from a Registry can be passed in as is. */
export interface CounterLike {
  inc(labels: Record<string, string>, value?: number): void;
}

export interface ResponderMetrics {
  /** Replies composed, by `mode`: model | offline | fallback. */
  replies: CounterLike;
  /** Model calls that failed after the SDK's retries, by `reason`. */
  modelFailures: CounterLike;
  /** Graph API outcomes, by `outcome` (sent | retry | failed) and `reason`. */
  sends: CounterLike;
  /** Summaries written, by `mode` (model | extractive) and `trigger` (every | expired). */
  summaries: CounterLike;
}

/** Counters in memory: tests read `counts`, and nothing is exported anywhere. */
export function createMemoryMetrics(): ResponderMetrics & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const counter = (name: string): CounterLike => {
    // Label sets are few (a handful of modes, outcomes and reasons): each one's sorted JSON key is
    // built once, not on every inc (three a message).
    const keys = new Map<string, string>();
    return {
      inc(labels, value = 1) {
        let raw = "";
        for (const k in labels) raw += `${k}\u0000${labels[k]}\u0000`;
        let key = keys.get(raw);
        if (key === undefined) {
          key = `${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort()))}`;
          keys.set(raw, key);
        }
        counts.set(key, (counts.get(key) ?? 0) + value);
      },
    };
  };
  return {
    counts,
    replies: counter("replies"),
    modelFailures: counter("model_failures"),
    sends: counter("sends"),
    summaries: counter("summaries"),
  };
}

/** Sum of a counter over every label set matching `labels`. */
export function countOf(
  counts: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const [key, value] of counts) {
    if (!key.startsWith(`${name}{`)) continue;
    const got = JSON.parse(key.slice(name.length)) as Record<string, string>;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += value;
  }
  return total;
}
