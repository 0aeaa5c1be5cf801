import type { Consumer } from "@flank/shared/bus";
import {
  type ConversationCommandResultData,
  createEvent,
  type EventOf,
  type FlankEvent,
  GROUPS,
} from "@flank/shared/contract";
import {
  assignQueued,
  handoffConversation,
  markRead,
  noteAgentReply,
  type OpResult,
  type RoutingDeps,
  releaseConversation,
  routingOf,
  takeConversation,
  transferConversation,
} from "./conversation-ops.js";
import type { RouterDeps } from "./router-worker.js";

type Command = EventOf<"conversation.command">;

export interface CommandWorker {
  start(): Promise<void>;
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

/** Applies one command with the conversation operations; what the agent API answers from. */
export async function applyCommand(
  routing: RoutingDeps,
  event: Command,
): Promise<Omit<ConversationCommandResultData, "commandId">> {
  const id = event.conversationId;
  const { command, agent, to, reason } = event.data;
  const needAgent = (): string => {
    if (!agent) throw new Error(`command ${command} needs an agent`);
    return agent;
  };
  const result = async (): Promise<OpResult | { waitedMs?: number }> => {
    switch (command) {
      case "take":
        return takeConversation(routing, id, needAgent());
      case "release":
        return releaseConversation(routing, id, { agentId: needAgent(), ...(reason ? { reason } : {}) });
      case "transfer":
        if (!to) throw new Error("command transfer needs `to`");
        return transferConversation(routing, id, { to, from: needAgent(), ...(reason ? { reason } : {}) });
      case "read":
        return markRead(routing, id);
      case "handoff":
        return handoffConversation(routing, id, reason ?? "handoff by API");
      case "assign":
        return assignQueued(routing, id, reason ?? "agent online");
      case "agent_replied":
        return noteAgentReply(routing, id);
    }
  };
  const r = await result();
  if (!("ok" in r)) return { ok: true, ...(r.waitedMs === undefined ? {} : { waitedMs: r.waitedMs }) };
  if (r.ok) return { ok: true, changed: r.changed, conversation: r.conversation };
  return {
    ok: false,
    code: r.code,
    message: r.message,
    ...(r.conversation ? { conversation: r.conversation } : {}),
  };
}

/**
 * The router's consumer of the agent API (group `commands`): the gateway asks through
 * `conversation.command` events instead of writing conversations itself, so the router is their
 * one writer; each result is announced on the taps for the gateway waiting on it. A redelivered
 * command runs again: every operation is idempotent (taking what one holds is "unchanged").
 */
export function createCommandWorker(
  deps: Pick<RouterDeps, "bus" | "stores" | "presence" | "log" | "cache" | "clock">,
): CommandWorker {
  const routing = routingOf(deps);
  let consumer: Consumer | undefined;

  async function handle(event: FlankEvent): Promise<void> {
    if (event.type !== "conversation.command") return;
    const data = { commandId: event.id, ...(await applyCommand(routing, event)) };
    deps.log.info(
      { eventId: event.id, conversationId: event.conversationId, command: event.data.command, ok: data.ok },
      "conversation command",
    );
    const answer = createEvent({
      type: "conversation.command_result",
      tenant: event.tenant,
      conversationId: event.conversationId,
      data,
    });
    await deps.bus.announce(answer);
  }

  return {
    async start() {
      consumer ??= await deps.bus.consume({
        topic: "conversation.command",
        group: GROUPS.commands,
        handler: handle,
      });
    },
    async stop(opts = {}) {
      await consumer?.close({ timeoutMs: opts.timeoutMs ?? 10_000 });
    },
  };
}
