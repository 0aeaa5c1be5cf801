import type { FlankEvent } from "@flank/shared/contract";

const quote = (s: string | undefined, max = 60) =>
  s === undefined ? "" : JSON.stringify(s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** What one event says, in a few words. Pure. */
export function summarize(event: FlankEvent): string {
  switch (event.type) {
    case "inbound.message": {
      const d = event.data;
      return `${d.type} ${quote(d.text)} from ${d.profileName ?? d.from ?? d.userId ?? "?"}`.replace(
        /\s+/g,
        " ",
      );
    }
    case "inbound.status":
      return `${event.data.status} ${event.data.wamid}${event.data.errors?.[0] ? ` error ${event.data.errors[0].code}` : ""}`;
    case "inbound.error":
      return `errors ${event.data.errors.map((e) => e.code).join(",")}`;
    case "conversation.routed": {
      const d = event.data;
      return `stage ${d.stageBefore ?? "(new)"} → ${d.stageAfter}, route ${d.route} (${d.reason})`;
    }
    case "conversation.updated": {
      const d = event.data;
      const parts = [
        d.change,
        d.stage && `stage ${d.stage}`,
        d.route && `route ${d.route}`,
        d.agentId && `agent ${d.agentId}`,
      ];
      return parts.filter(Boolean).join(", ");
    }
    case "conversation.command": {
      const d = event.data;
      return [d.command, d.agent && `by ${d.agent}`, d.to && `to ${d.to}`].filter(Boolean).join(" ");
    }
    case "conversation.command_result": {
      const d = event.data;
      return d.ok ? `done${d.changed ? "" : " (unchanged)"}` : `${d.code}: ${d.message ?? ""}`.trim();
    }
    case "outbound.request": {
      const m = event.data.message;
      const text = "body" in m && typeof m.body === "string" ? ` ${quote(m.body)}` : "";
      return `${m.type}${text} to ${event.data.to ?? event.data.recipient} (${event.data.source})`;
    }
    case "outbound.result": {
      const d = event.data;
      return d.status === "sent"
        ? `sent ${d.wamid ?? ""} after ${d.attempts} attempt(s)`
        : `failed ${d.error?.code ?? ""} ${d.error?.reason ?? ""}${d.final ? " (final)" : ""}`.trim();
    }
    case "dlq":
      return `${event.data.topic} from ${event.data.group}: ${event.data.error}`;
    case "inbound.echo": {
      const d = event.data;
      return `${d.type} ${quote(d.text)} to ${d.to ?? d.toUserId ?? "?"} (from the WhatsApp Business app)`;
    }
    case "inbound.history":
      return `${event.data.direction} ${event.data.type} ${quote(event.data.text)} (history)`;
    case "inbound.preference":
      return `${event.data.category} ${event.data.value}`;
    case "inbound.call": {
      const d = event.data;
      return [d.event, d.status, d.direction, d.errors?.[0] && `error ${d.errors[0].code}`]
        .filter(Boolean)
        .join(" ");
    }
    case "inbound.group":
      return `${event.data.field} ${event.data.kind ?? ""} ${event.data.groupId ?? ""}`.trim();
    case "inbound.state_sync":
      return `${event.data.kind ?? "contact"} ${event.data.action ?? ""} ${event.data.contact?.phoneNumber ?? ""}`.trim();
    case "template.update": {
      const d = event.data;
      const what = d.event ?? d.quality ?? d.category ?? d.field;
      return `template ${d.name ?? d.templateId ?? "?"} ${d.language ?? ""} ${what}`.replace(/\s+/g, " ");
    }
    case "account.update":
      return `${event.data.field} ${event.data.event ?? ""} ${event.data.severity ?? ""}`.trim();
    case "inbound.handover":
    case "inbound.field":
      return event.data.field;
    case "media.requested":
      return `${event.data.type} ${event.data.media?.id ?? ""} (to download)`;
    case "media.stored": {
      const d = event.data;
      const said = d.transcript === undefined ? "" : ` ${quote(d.transcript)}`;
      return `${d.type} ${d.mediaId} ${d.mimeType} ${d.size} bytes${said}`;
    }
    case "inbound.understood": {
      const d = event.data;
      return `${d.type} ${quote(d.transcript ?? d.text)} (after the media step)`.replace(/\s+/g, " ");
    }
  }
}

/**
 * Characters a terminal may act on rather than print: C0 (ESC starts colour, title and cursor
 * sequences), DEL, C1 (U+009B is a one-character CSI), the line and paragraph separators, and the
 * bidirectional overrides and isolates that reorder what follows them on screen.
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
const escapeOne = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * `s` with every control character written as a `\uXXXX` escape: safe to print, still readable,
 * and in JSON the same string (JSON reads the escapes back).
 */
export const escapeControls = (s: string): string => s.replace(CONTROL, escapeOne);

/**
 * One output line of `flank tail`: the event as JSON, or time, topic, conversation and summary.
 * Users write most of it (texts, profile names), so control characters are escaped either way.
 */
export function eventLine(event: FlankEvent, json: boolean): string {
  if (json) return escapeControls(JSON.stringify(event));
  const time = event.ts.slice(11, 23);
  return escapeControls(`${time}  ${event.type.padEnd(20)} ${event.conversationId}  ${summarize(event)}`);
}
