import type { Bus } from "@flank/shared/bus";
import {
  type ConversationCommandData,
  type ConversationCommandResultData,
  createEvent,
} from "@flank/shared/contract";
import type { Conversation } from "@flank/shared/store";
import type { Logger } from "pino";
import { ApiError } from "./errors.js";
import type { ResultWaiter } from "./result-waiter.js";

/** How long an agent call waits for the router before it answers 202 (the command stays queued). */
export const COMMAND_WAIT_MS = 10_000;

export interface CommandOutcome {
  commandId: string;
  /** Undefined when the router did not answer within the wait: the command is still queued. */
  result?: ConversationCommandResultData;
}

export type RunCommand = (
  conversation: Pick<Conversation, "id" | "tenant">,
  command: ConversationCommandData,
) => Promise<CommandOutcome>;

/**
 * The agent API's changes to a conversation, asked of the router (its one writer,
 * router/src/command-worker.ts) as `conversation.command` events; the answer comes back on the taps.
 */
export function commandRunner(deps: {
  bus: Bus;
  log: Logger;
  waiter: ResultWaiter<ConversationCommandResultData>;
  waitMs?: number;
}): RunCommand {
  const unavailable = (err: unknown) => {
    deps.log.error({ err }, "conversation command publish failed");
    return new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
  };
  return async (conversation, command) => {
    const event = createEvent({
      type: "conversation.command",
      tenant: conversation.tenant,
      conversationId: conversation.id,
      data: command,
    });
    const pending = await deps.waiter.expect(event.id).catch((err: unknown) => {
      throw unavailable(err);
    });
    try {
      await deps.bus.publish(event);
    } catch (err) {
      pending.cancel();
      throw unavailable(err);
    }
    const result = await pending.wait(deps.waitMs ?? COMMAND_WAIT_MS);
    return { commandId: event.id, ...(result ? { result } : {}) };
  };
}
