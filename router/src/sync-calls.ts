import type { EventOf } from "@flank/shared/contract";
import { decideMissedCall, isMissedCall } from "./call-decision.js";
import { assignQueued, mutateConversation, publishChanges } from "./conversation-ops.js";
import { userOf } from "./conversation-state.js";
import { createFlowLookup } from "./flow-lookup.js";
import type { SyncContext } from "./sync-context.js";
import { knownConversation } from "./sync-records.js";

const later = (a: string | undefined, b: string) => (a !== undefined && a > b ? a : b);

/**
 * `inbound.call`: a user's call opens (or renews) the 24-hour window like a message does
 * (docs/whatsapp-contract.md "Window and pacing"); a missed call moves the conversation by the flow's `missedCall` transition,
 * e.g. to a handoff stage, which queues it for an agent.
 */
export function callHandler(ctx: SyncContext) {
  const flowFor = createFlowLookup(ctx.stores.integrations, ctx.flows);
  return async (event: EventOf<"inbound.call">): Promise<void> => {
    const call = event.data;
    if (call.direction !== "USER_INITIATED" || !call.user) return;
    const tenant = event.tenant;
    const key = /^\d+$/.test(call.user) ? { waId: call.user } : { userId: call.user };
    const id = await knownConversation(ctx.stores.users, tenant, event.conversationId, key);
    const missed = isMissedCall(call);
    const flow = missed ? await flowFor(tenant) : undefined;
    const {
      result: decision,
      before,
      saved,
    } = await mutateConversation(ctx.stores.conversations, id, (current) => {
      const d = flow ? decideMissedCall(current, flow) : undefined;
      const lastInboundAt = later(current?.lastInboundAt, call.timestamp);
      if (!d && current?.lastInboundAt === lastInboundAt) return { result: d };
      const base = current ?? { id, tenant, user: userOf(id), stage: null, route: "bot" as const };
      const moved = d && flow ? { stage: d.stage, route: d.route, flowId: flow.id, agentId: undefined } : {};
      return { result: d, save: { ...base, ...moved, lastInboundAt } };
    });
    if (!saved) return;
    await ctx.routing.onSaved?.(saved);
    const reason = decision?.reason ?? "the user called";
    await publishChanges(ctx.bus, before, saved, reason);
    if (saved.route === "queue" && before?.route !== "queue") await assignQueued(ctx.routing, id, reason);
    if (decision)
      ctx.log.info({ conversationId: id, callId: call.callId, reason }, "missed call moved the conversation");
  };
}
