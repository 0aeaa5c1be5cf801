import type { Bus } from "@flank/shared/bus";
import type { FlowRegistry } from "@flank/shared/flows";
import type { Logger } from "@flank/shared/log";
import type { AgentPresence } from "@flank/shared/routing";
import type { Stores } from "@flank/shared/store";
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
