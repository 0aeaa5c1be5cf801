import type { AgentPresence, Bus, FlowRegistry, Logger, Stores } from "@flank/shared";
import type { AmendmentDeps } from "./amendments.js";
import type { RoutingDeps } from "./conversation-ops.js";
import type { SessionLines } from "./session-lines.js";

/** What the sync worker's handlers share (built once by createSyncWorker). */
export interface SyncContext {
  stores: Pick<Stores, "conversations" | "messages" | "users" | "templates" | "integrations">;
  bus: Bus;
  flows: FlowRegistry;
  presence: AgentPresence;
  log: Logger;
  routing: RoutingDeps;
  amend: AmendmentDeps;
  lines: SessionLines;
  /** 0 = echoes are stored without pausing the bot. */
  humanReplyPauseMinutes: number;
  clock: () => Date;
}
