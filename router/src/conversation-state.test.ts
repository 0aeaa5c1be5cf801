import type { InboundMessageData } from "@flank/shared/contract";
import { Flow } from "@flank/shared/flows";
import { describe, expect, it } from "vitest";
import { nextDraft } from "./conversation-state.js";
import type { Decision } from "./decide.js";

const flow = Flow.parse({ id: "f", initialStage: "a", stages: { a: { goal: "g", replies: ["r"] } } });
const message = (timestamp: string): InboundMessageData => ({
  wamid: "wamid.1",
  phoneNumberId: "111",
  from: "5511",
  timestamp,
  type: "text",
  text: "hi",
  raw: {},
});
const decision = (route: Decision["route"]): Decision => ({ stage: "a", route, reason: "r", rule: "none" });
const ids = { id: "111:5511", tenant: "111" };

describe("nextDraft", () => {
  it("counts unread messages while the queue or an agent holds the chat; the bot clears them", () => {
    const t1 = "2026-06-01T10:00:00.000Z";
    const first = nextDraft(undefined, ids, message(t1), decision("queue"), flow, new Date(t1));
    expect(first).toMatchObject({ route: "queue", unread: 1, awaitingAgentSince: t1 });
    const stored = { ...first, version: 1, createdAt: t1, updatedAt: t1 };
    const t2 = "2026-06-01T10:05:00.000Z";
    const second = nextDraft(stored, ids, message(t2), decision("agent:ana"), flow, new Date(t2));
    expect(second).toMatchObject({ route: "agent:ana", agentId: "ana", unread: 2, awaitingAgentSince: t1 });
    const back = nextDraft({ ...stored, ...second }, ids, message(t2), decision("bot"), flow, new Date(t2));
    expect(back).toMatchObject({ route: "bot" });
    expect(back.unread).toBeUndefined();
    expect(back.agentId).toBeUndefined();
    expect(back.awaitingAgentSince).toBeUndefined();
  });
});
