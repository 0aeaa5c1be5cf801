import { Counter, Histogram, type Registry } from "prom-client";

/** The gateway's Prometheus metrics, registered on the registry passed in (tests get a fresh one each). */
export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    httpRequests: new Counter({
      name: "flank_http_requests_total",
      help: "HTTP requests by method, matched route and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    webhookEvents: new Counter({
      name: "flank_webhook_events_total",
      help: "Events normalized from Meta webhooks, by topic and message type or status",
      labelNames: ["topic", "type"] as const,
      registers,
    }),
    webhookIgnored: new Counter({
      name: "flank_webhook_ignored_total",
      help: "Webhook items skipped because they cannot be keyed (no id, no sender), by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    webhookUnknownFields: new Counter({
      name: "flank_webhook_unknown_fields_total",
      help: "Webhook changes of a field Flank does not know yet, published on inbound.field, by field",
      labelNames: ["field"] as const,
      registers,
    }),
    webhookUnrouted: new Counter({
      name: "flank_webhook_unrouted_total",
      help: "Webhook events acknowledged but not published: no enabled integration for their business number",
      labelNames: ["reason"] as const,
      registers,
    }),
    signatureFailures: new Counter({
      name: "flank_webhook_signature_failures_total",
      help: "Webhook POSTs rejected for a missing or invalid X-Hub-Signature-256, or numbers that do not match it",
      labelNames: ["reason"] as const,
      registers,
    }),
    duplicatesDropped: new Counter({
      name: "flank_webhook_duplicates_dropped_total",
      help: "Webhook events not published again because their wamid (or wamid:status) was already published",
      registers,
    }),
    publishLatency: new Histogram({
      name: "flank_bus_publish_seconds",
      help: "Time to append a webhook's events to the bus",
      labelNames: ["outcome"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
