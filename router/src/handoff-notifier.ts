import type { Bus, Consumer } from "@flank/shared/bus";
import { createEvent, type FlankEvent, GROUPS } from "@flank/shared/contract";
import type { FlowRegistry } from "@flank/shared/flows";
import type { Logger } from "@flank/shared/log";
import { type AgentPresence, eligibleOnline, recipientOf } from "@flank/shared/routing";
import type { AgentStore, ConversationStore } from "@flank/shared/store";
import { mayDeliver } from "@flank/shared/whatsapp";
import { handoffNotice } from "./handoff-notice.js";

export interface HandoffNotifierDeps {
  bus: Bus;
  conversations: Pick<ConversationStore, "get">;
  flows: FlowRegistry;
  presence: Pick<AgentPresence, "online">;
  /** Agents who may not work on the conversation's number do not count as online for it. */
  agents?: Pick<AgentStore, "list">;
  log: Logger;
  clock?: () => Date;
}

export interface HandoffNotifier {
  start(): Promise<void>;
  stop(opts?: { timeoutMs?: number }): Promise<void>;
}

/** Deterministic: a redelivered handoff event never sends its notice twice (bus dedup, then the sender's ledger). */
export const handoffNoticeKey = (eventId: string) => `handoff:${eventId}`;

/**
 * Tells the user what a handoff means. Every handoff (keyword, intent, handoff stage or the API)
 * is one `conversation.updated` event with change "handoff", so this consumer (group
 * `handoff-notices`) is the one place a notice is sent from: an `outbound.request` with source
 * "system" and the text `handoffNotice` picks from the conversation's flow.
 */
export function createHandoffNotifier(deps: HandoffNotifierDeps): HandoffNotifier {
  const clock = deps.clock ?? (() => new Date());
  let consumer: Consumer | undefined;

  async function handle(event: FlankEvent): Promise<void> {
    if (event.type !== "conversation.updated" || event.data.change !== "handoff") return;
    const log = deps.log.child({ eventId: event.id, conversationId: event.conversationId });
    const conversation = await deps.conversations.get(event.conversationId);
    if (!conversation) {
      log.warn("handoff for an unknown conversation: no notice");
      return;
    }
    // Released (or restarted) before this ran: the notice would contradict what the user sees.
    if (conversation.route === "bot") {
      log.info("conversation is back with the bot: no handoff notice");
      return;
    }
    const now = clock();
    // A free-form text needs the 24-hour window; an API handoff of an old chat must not fail at Meta.
    if (!mayDeliver({ type: "text" }, conversation.lastInboundAt, now.getTime())) {
      log.info("24-hour window closed: no handoff notice");
      return;
    }
    const flow = deps.flows.resolve(conversation.flowId);
    const online = await eligibleOnline(deps.presence, deps.agents, conversation.tenant);
    const notice = handoffNotice(flow, { agentsOnline: online.length, now });
    const key = handoffNoticeKey(event.id);
    const request = createEvent({
      type: "outbound.request",
      tenant: conversation.tenant,
      conversationId: conversation.id,
      data: {
        idempotencyKey: key,
        ...recipientOf(conversation),
        message: { type: "text", body: notice.text },
        source: "system",
      },
    });
    const res = await deps.bus.publish(request, { dedupKeys: [`outbound:${key}`] });
    log.info({ kind: notice.kind, flowId: flow.id, duplicate: res.published.length === 0 }, "handoff notice");
  }

  return {
    async start() {
      consumer ??= await deps.bus.consume({
        topic: "conversation.updated",
        group: GROUPS.handoffNotices,
        handler: handle,
      });
    },
    async stop(opts = {}) {
      await consumer?.close({ timeoutMs: opts.timeoutMs ?? 10_000 });
    },
  };
}
