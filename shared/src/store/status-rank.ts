import type { StatusValue } from "../events/inbound.js";
import type { StatusEntry, StatusUpdate } from "./types.js";

/**
 * Whether a Meta status webhook moves a message forward (docs/whatsapp-contract.md "Statuses"). Webhooks arrive out of
 * order and "delivered" may never come, so the latest status is the highest rank seen, not the
 * last one received:
 * - sent < delivered < read < played;
 * - `failed` is terminal: it applies over sent and delivered, not over read or played (the user
 *   saw the message), and nothing applies after it;
 * - `duplicate` when the same status is already in the history (Meta redelivers for days): not
 *   appended again;
 * - `stale` when it ranks at or below the current status (delivered after read): appended to the
 *   history, because the timestamp is still a fact worth keeping, but `status` does not change;
 * - `unknown` (a status name Meta added later) is kept in the history and never moves `status`.
 */
const RANK: Record<StatusValue, number> = {
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: 0,
  unknown: -1,
};

export type StatusDecision = Exclude<StatusUpdate, "unknown">;

export function decideStatus(
  current: StatusValue | "queued" | undefined,
  seen: readonly StatusValue[],
  next: StatusValue,
): StatusDecision {
  if (seen.includes(next) && next !== "unknown") return "duplicate";
  if (next === "unknown") return "stale";
  if (current === undefined || current === "queued") return "applied";
  if (current === "failed") return "stale";
  if (next === "failed") return RANK[current] <= RANK.delivered ? "applied" : "stale";
  return RANK[next] > RANK[current] ? "applied" : "stale";
}

/** The message fields a status entry changes, or undefined for a duplicate. */
export function applyStatus(
  message: { status?: StatusValue | "queued"; statuses: StatusEntry[] },
  entry: StatusEntry,
): { outcome: StatusDecision; status?: StatusValue | "queued"; statuses: StatusEntry[] } {
  const outcome = decideStatus(
    message.status,
    message.statuses.map((s) => s.status),
    entry.status,
  );
  if (outcome === "duplicate") return { outcome, status: message.status, statuses: message.statuses };
  return {
    outcome,
    status: outcome === "applied" ? entry.status : message.status,
    statuses: [...message.statuses, entry],
  };
}
