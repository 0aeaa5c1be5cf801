import type { InboundCallData } from "@flank/shared/contract";
import type { Flow } from "@flank/shared/flows";
import type { ConversationState, Decision } from "./decide.js";

/**
 * A missed call (docs/whatsapp-contract.md "Other fields"): the user called and it ended without being answered, i.e. a
 * user-initiated `terminate` that is not COMPLETED with some duration.
 */
export function isMissedCall(
  call: Pick<InboundCallData, "event" | "direction" | "status" | "durationSeconds">,
): boolean {
  if (call.event !== "terminate" || call.direction !== "USER_INITIATED") return false;
  return call.status !== "COMPLETED" || !(call.durationSeconds !== undefined && call.durationSeconds > 0);
}

/**
 * Where a missed call takes a conversation the bot holds (pure): the first `missedCall`
 * transition of its stage, e.g. to a handoff stage, which sends it to the agent queue. Nothing
 * when the queue, an agent or a person outside Flank holds it, or the stage has no such transition.
 */
export function decideMissedCall(
  conversation: ConversationState | undefined,
  flow: Flow,
): Decision | undefined {
  if (conversation && conversation.route !== "bot") return undefined;
  const current = conversation?.stage;
  const stage = current && flow.stages[current] ? current : flow.initialStage;
  const transitions = flow.stages[stage]?.transitions ?? [];
  const index = transitions.findIndex((t) => "missedCall" in t.when);
  const to = transitions[index]?.to;
  if (to === undefined) return undefined;
  const handoff = flow.stages[to]?.handoff === true;
  return {
    stage: to,
    route: handoff ? "queue" : "bot",
    rule: "transition",
    transition: { index, kind: "missedCall", to },
    reason: `missed call → ${to}${handoff ? " (handoff stage)" : ""}`,
  };
}
