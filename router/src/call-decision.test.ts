import { Flow } from "@flank/shared/flows";
import { describe, expect, it } from "vitest";
import { decideMissedCall, isMissedCall } from "./call-decision.js";

const flow = Flow.parse({
  id: "calls",
  initialStage: "start",
  stages: {
    start: { goal: "g", replies: ["r"], transitions: [{ to: "callback", when: { missedCall: true } }] },
    quiet: { goal: "g", replies: ["r"], transitions: [] },
    callback: { goal: "call back", replies: ["r"], handoff: true },
  },
});

describe("missed calls", () => {
  it.each([
    [{ event: "terminate", direction: "USER_INITIATED", status: "FAILED" }, true],
    [{ event: "terminate", direction: "USER_INITIATED" }, true],
    [{ event: "terminate", direction: "USER_INITIATED", status: "COMPLETED", durationSeconds: 0 }, true],
    [{ event: "terminate", direction: "USER_INITIATED", status: "COMPLETED", durationSeconds: 42 }, false],
    [{ event: "terminate", direction: "BUSINESS_INITIATED", status: "FAILED" }, false],
    [{ event: "connect", direction: "USER_INITIATED" }, false],
    [{ event: "status", status: "REJECTED" }, false],
  ])("%j → %s", (call, missed) => {
    expect(isMissedCall(call)).toBe(missed);
  });

  it("follows the stage's missedCall transition; a handoff stage queues the conversation", () => {
    expect(decideMissedCall(undefined, flow)).toMatchObject({ stage: "callback", route: "queue" });
    expect(decideMissedCall({ stage: "start", route: "bot" }, flow)?.transition).toEqual({
      index: 0,
      kind: "missedCall",
      to: "callback",
    });
    expect(decideMissedCall({ stage: "quiet", route: "bot" }, flow)).toBeUndefined();
    expect(decideMissedCall({ stage: "start", route: "agent:ann" }, flow)).toBeUndefined();
    expect(decideMissedCall({ stage: "start", route: "human" }, flow)).toBeUndefined();
  });
});
