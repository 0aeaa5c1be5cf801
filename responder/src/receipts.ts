import type { Bus } from "@flank/shared/bus";
import { createEvent, type EventOf } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import { toGraphBody } from "./graph-body.js";
import type { GraphClient } from "./graph-client.js";
import type { ResponderMetrics } from "./metrics.js";
import type { TenantLookup } from "./sender-worker.js";

type Routed = EventOf<"conversation.routed">;

/**
 * Read receipts and typing indicators. They are not messages to the user, so they go straight to
 * the Graph API from the bot, out of band: never queued behind a conversation's paced or retried
 * replies, and no bus append, ledger or pacing round trips. Each is then announced on the taps as
 * the `outbound.request` of type read it used to be, so screens following a conversation still see
 * it. Best effort: a failure is logged and counted, and the reply goes on.
 */
export interface Receipts {
  markRead(routed: Routed, opts: { typing: boolean }): Promise<void>;
}

export function createReceipts(deps: {
  bus: Pick<Bus, "announce">;
  tenants: TenantLookup;
  graph: GraphClient;
  metrics: ResponderMetrics;
  log: Logger;
}): Receipts {
  return {
    async markRead(routed, { typing }) {
      const { tenant, conversationId } = routed;
      const { wamid, from, userId } = routed.data.message;
      const data = {
        idempotencyKey: `read:${wamid}`,
        ...(from ? { to: from } : { recipient: userId ?? tenant }),
        source: "bot" as const,
        message: { type: "read" as const, messageId: wamid, ...(typing ? { typing: true } : {}) },
      };
      const outcome = await (async () => {
        const token = (await deps.tenants(tenant))?.accessToken;
        if (!token) return "no_token";
        const result = await deps.graph.send(tenant, token, toGraphBody(data));
        return result.ok ? "sent" : `code_${result.error.code}`;
      })().catch(() => "error");
      deps.metrics.sends.inc({ outcome: outcome === "sent" ? "sent" : "failed", reason: "read" });
      if (outcome !== "sent") {
        deps.log.warn({ wamid, outcome }, "read receipt not sent");
        return;
      }
      await deps.bus
        .announce(createEvent({ type: "outbound.request", tenant, conversationId, data }))
        .catch((err: unknown) => deps.log.debug({ err }, "read receipt not announced"));
    },
  };
}
