import type { Wait } from "@flank/shared/bus";
import { type EventOf, outboundText } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { Integration, StoredMessage } from "@flank/shared/store";

/** One delivery in progress. */
export interface SendContext {
  event: EventOf<"outbound.request">;
  /** Attempts made so far, across redeliveries and scheduled retries. */
  attempts: number;
  /** Meta answered 200: from here on the key must never be released for another send. */
  accepted: boolean;
  log: Logger;
  /** Lends the handler's slot while it waits (pacing, a retry's backoff, a Graph API call): HandlerContext.wait. */
  lend: Wait;
}

export interface Templates {
  fallback: Integration["templateFallback"];
}

/** The outbound message as stored (id = idempotency key) so Meta's statuses attach to it later. */
export function storedOutbound(event: EventOf<"outbound.request">, at: string): StoredMessage {
  const req = event.data;
  const body = outboundText(req.message);
  return {
    id: req.idempotencyKey,
    conversationId: event.conversationId,
    tenant: event.tenant,
    direction: "outbound",
    from: event.tenant,
    to: (req.to ?? req.recipient ?? "").replace(/^\+/, ""),
    type: req.message.type,
    ...(body === undefined ? {} : { body }),
    timestamp: at,
    status: "queued",
    statuses: [],
    raw: req,
  };
}
