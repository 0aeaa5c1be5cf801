import { assertEvent, type FlankEvent, newId } from "@flank/shared/contract";
import { describe, expect, it } from "vitest";
import { heartbeatHealthy } from "./commands/healthcheck.js";
import { tapOf } from "./commands/tail.js";
import { eventLine, summarize } from "./event-line.js";

const conv = "1:16505551234";
const at = "2026-01-02T03:04:05.678Z";
const ev = (type: FlankEvent["type"], data: unknown): FlankEvent =>
  assertEvent({ id: newId(), type, v: 1, ts: at, tenant: "1", conversationId: conv, data });

describe("tail output", () => {
  it.each([
    [
      ev("inbound.status", { wamid: "wamid.A", phoneNumberId: "1", status: "read", timestamp: at, raw: {} }),
      "read wamid.A",
    ],
    [
      ev("outbound.request", {
        idempotencyKey: "k",
        to: "16505551234",
        message: { type: "text", body: "Hello there" },
        source: "bot",
      }),
      'text "Hello there" to 16505551234 (bot)',
    ],
    [
      ev("outbound.result", {
        idempotencyKey: "k",
        status: "failed",
        attempts: 5,
        final: true,
        error: { code: 131047, reason: "window_closed" },
      }),
      "failed 131047 window_closed (final)",
    ],
    [ev("conversation.updated", { change: "handoff", route: "queue" }), "handoff, route queue"],
    [ev("conversation.command", { command: "transfer", agent: "ana", to: "bob" }), "transfer by ana to bob"],
    [
      ev("conversation.command_result", {
        commandId: "c1",
        ok: false,
        code: "conflict",
        message: "held by agent:bob",
      }),
      "conflict: held by agent:bob",
    ],
    [
      ev("inbound.echo", {
        wamid: "wamid.E",
        phoneNumberId: "1",
        to: "16505551234",
        timestamp: at,
        type: "text",
        text: "Hi from the shop",
        raw: {},
      }),
      'text "Hi from the shop" to 16505551234 (from the WhatsApp Business app)',
    ],
    [
      ev("inbound.preference", {
        phoneNumberId: "1",
        waId: "16505551234",
        category: "marketing_messages",
        value: "stop",
        timestamp: at,
        raw: {},
      }),
      "marketing_messages stop",
    ],
    [
      ev("template.update", {
        field: "message_template_status_update",
        wabaId: "9",
        name: "spring_sale",
        language: "en_US",
        event: "PAUSED",
        timestamp: at,
        raw: {},
      }),
      "template spring_sale en_US PAUSED",
    ],
    [ev("inbound.field", { field: "brand_new_field", timestamp: at, value: 1 }), "brand_new_field"],
  ])("summarizes %#", (event, summary) => {
    expect(summarize(event)).toBe(summary);
  });

  it("prints time, topic, conversation and summary, or the JSON", () => {
    const e = ev("inbound.status", {
      wamid: "wamid.A",
      phoneNumberId: "1",
      status: "sent",
      timestamp: at,
      raw: {},
    });
    expect(eventLine(e, false)).toBe(`03:04:05.678  inbound.status       ${conv}  sent wamid.A`);
    expect(JSON.parse(eventLine(e, true))).toEqual(e);
  });

  it("escapes control characters users wrote (a profile name with a title sequence), in both forms", () => {
    const e = ev("inbound.message", {
      wamid: "wamid.X",
      phoneNumberId: "1",
      from: "16505551234",
      profileName: "Ana\u001b]0;pwned\u0007\u009b2J\u202eevil",
      type: "text",
      text: "hi\u001b[31m",
      timestamp: at,
      raw: {},
    });
    for (const line of [eventLine(e, false), eventLine(e, true)]) {
      expect(line).not.toMatch(/[\p{Cc}\u202e]/u);
      expect(line).toContain("Ana\\u001b]0;pwned\\u0007\\u009b2J\\u202eevil");
    }
    expect(JSON.parse(eventLine(e, true))).toEqual(e);
  });

  it("taps one topic, one conversation, or everything once per event", () => {
    const e = ev("inbound.status", {
      wamid: "w",
      phoneNumberId: "1",
      status: "sent",
      timestamp: at,
      raw: {},
    });
    const all = tapOf({ topics: [] });
    expect(all.pattern).toBe("flank.>");
    expect(all.wanted(e, "flank.inbound.status")).toBe(true);
    expect(all.wanted(e, `flank.conversation.${conv}`)).toBe(false);
    expect(tapOf({ topics: ["inbound.status"] }).pattern).toBe("flank.inbound.status");
    const chat = tapOf({ topics: ["dlq"], conversation: conv });
    expect(chat.pattern).toBe(`flank.conversation.${conv}`);
    expect(chat.wanted(e, chat.pattern)).toBe(false);
  });
});

describe("worker healthcheck", () => {
  it("is healthy while the heartbeat is fresh; a missing file counts as told", () => {
    expect(heartbeatHealthy(1000, 1500, 1000, "fail")).toBe(true);
    expect(heartbeatHealthy(1000, 2500, 1000, "fail")).toBe(false);
    expect(heartbeatHealthy(undefined, 0, 1000, "fail")).toBe(false);
    expect(heartbeatHealthy(undefined, 0, 1000, "ok")).toBe(true);
  });
});
