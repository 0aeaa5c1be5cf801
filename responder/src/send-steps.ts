import { type EventOf, type Integration, type Logger, outboundText, type StoredMessage } from "@flank/shared";

/** One delivery in progress. */
export interface SendContext {
  event: EventOf<"outbound.request">;
  /** Attempts made so far, across redeliveries and scheduled retries. */
  attempts: number;
  /** Meta answered 200: from here on the key must never be released for another send. */
  accepted: boolean;
  log: Logger;
}

export interface Templates {
  fallback: Integration["templateFallback"];
}

/** Meta's customer service window (docs/whatsapp-contract.md "Window and pacing"), shared with the agent API and handoff notices. */
export { SERVICE_WINDOW_MS as WINDOW_MS, windowOpen } from "@flank/shared";

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
