import type { Consumer } from "@flank/shared/bus";
import { type FlankEvent, GROUPS, type Topic } from "@flank/shared/contract";
import { routingOf } from "./conversation-ops.js";
import type { RouterDeps } from "./router-worker.js";
import { sessionLinesFrom } from "./session-lines.js";
import { handleAccount, handlePreference, handleTemplate } from "./sync-account.js";
import { callHandler } from "./sync-calls.js";
import type { SyncContext } from "./sync-context.js";
import { handleEcho, handleHistory } from "./sync-echoes.js";

export interface SyncWorker {
  start(): Promise<void>;
  /** Idempotent: stops consuming and waits for in-flight events up to `timeoutMs`. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

/** The topics the sync worker keeps the stores in step with (docs/whatsapp-contract.md). */
export const SYNC_TOPICS = [
  "inbound.echo",
  "inbound.history",
  "inbound.preference",
  "inbound.call",
  "template.update",
  "account.update",
] as const satisfies readonly Topic[];

/**
 * The router's second consumer (group `sync`): what Meta reports besides user messages. Echoes
 * from the WhatsApp Business app join the history and pause the bot; history imports are stored
 * without replies; marketing preferences are kept per user; template states per template; calls
 * renew the window and a missed call can hand the conversation to a person; account notices are
 * logged (as alerts when a person must act).
 */
export function createSyncWorker(deps: RouterDeps): SyncWorker {
  const routing = routingOf(deps);
  const lines = sessionLinesFrom(deps);
  const ctx: SyncContext = {
    stores: deps.stores,
    bus: deps.bus,
    flows: deps.flows,
    presence: deps.presence,
    log: deps.log.child({ component: "sync" }),
    routing,
    amend: { messages: deps.stores.messages, lines, log: deps.log },
    lines,
    humanReplyPauseMinutes: deps.humanReplyPauseMinutes ?? 30,
    clock: deps.clock ?? (() => new Date()),
  };
  const onCall = callHandler(ctx);
  const handle = async (event: FlankEvent): Promise<void> => {
    switch (event.type) {
      case "inbound.echo":
        return handleEcho(ctx, event);
      case "inbound.history":
        return handleHistory(ctx, event);
      case "inbound.preference":
        return handlePreference(ctx, event);
      case "inbound.call":
        return onCall(event);
      case "template.update":
        return handleTemplate(ctx, event);
      case "account.update":
        return handleAccount(ctx, event);
    }
  };
  let consumers: Consumer[] = [];
  let stopping: Promise<void> | undefined;
  return {
    async start() {
      if (consumers.length > 0 || stopping) return;
      consumers = await Promise.all(
        SYNC_TOPICS.map((topic) =>
          deps.bus.consume({
            topic,
            group: GROUPS.sync,
            handler: handle,
          }),
        ),
      );
    },
    stop(opts = {}) {
      stopping ??= (async () => {
        await Promise.all(consumers.map((c) => c.close({ timeoutMs: opts.timeoutMs ?? 10_000 })));
      })();
      return stopping;
    },
  };
}
