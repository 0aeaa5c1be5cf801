import type { Bus, Consumer, HandlerContext } from "@flank/shared/bus";
import { type FlankEvent, GROUPS } from "@flank/shared/contract";
import { FlankError } from "@flank/shared/errors";
import type { Stores } from "@flank/shared/store";
import type { Logger } from "pino";

export interface StatusWriterOptions {
  /**
   * Attempts for a status whose message is not stored yet. Meta's "sent" webhook can beat the
   * sender's `setWamid`, so an unknown wamid is retried (with the bus's backoff) a few times; after
   * that it is a message Flank did not send (e.g. from WhatsApp Manager) and is dropped with a log.
   */
  unknownAttempts?: number;
  /** The bus's attempts before dead-lettering (BUS_MAX_ATTEMPTS); raised above `unknownAttempts`. */
  maxAttempts?: number;
}

export interface StatusWriter {
  stop(): Promise<void>;
}

class MessageNotStoredYet extends FlankError {
  constructor(wamid: string) {
    super("MessageNotStoredYet", `no stored message has wamid ${wamid} yet`, {
      context: { wamid },
      retryable: true,
    });
  }
}

/** Handles one inbound.status: appends it to the message's status history (stale ones do not move `status`). */
export function statusHandler(stores: Stores, log: Logger, unknownAttempts: number) {
  return async (event: FlankEvent, ctx: HandlerContext): Promise<void> => {
    if (event.type !== "inbound.status") return;
    const { wamid, status, statusName, timestamp, errors, pricing } = event.data;
    const outcome = await stores.messages.addStatus(wamid, {
      status,
      ...(statusName ? { statusName } : {}),
      timestamp,
      ...(errors ? { errors } : {}),
      ...(pricing ? { pricing } : {}),
    });
    if (outcome === "unknown") {
      if (ctx.attempt < unknownAttempts) throw new MessageNotStoredYet(wamid);
      log.debug({ wamid, status, eventId: event.id }, "status for a message Flank did not store; dropped");
      return;
    }
    log.debug({ wamid, status, outcome, eventId: event.id }, "status recorded");
  };
}

/** The `status-writer` consumer group on `inbound.status` (docs/architecture.md "The flow"). */
export async function startStatusWriter(
  deps: { bus: Bus; stores: Stores; log: Logger },
  opts: StatusWriterOptions = {},
): Promise<StatusWriter> {
  const log = deps.log.child({ component: "status-writer" });
  const unknownAttempts = opts.unknownAttempts ?? 3;
  const consumer: Consumer = await deps.bus.consume({
    topic: "inbound.status",
    group: GROUPS.statusWriter,
    // Above the unknown retries, so "not stored yet" never ends in the dead-letter topic.
    maxAttempts: Math.max(opts.maxAttempts ?? 5, unknownAttempts + 1),
    handler: statusHandler(deps.stores, log, unknownAttempts),
  });
  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= consumer.close({ timeoutMs: 5000 });
      return stopping;
    },
  };
}
