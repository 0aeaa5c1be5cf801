import { describe, expect, it } from "vitest";
import { assertEvent, createEvent, decodeEvent } from "./event.js";

const routed = () =>
  assertEvent(
    createEvent({
      type: "inbound.message",
      tenant: "t",
      conversationId: "t:16505551234",
      data: {
        wamid: "wamid.1",
        phoneNumberId: "106540352242922",
        from: "16505551234",
        timestamp: new Date().toISOString(),
        type: "text",
        text: "hi",
        raw: {},
      },
    }),
  );

describe("decodeEvent", () => {
  it("reads back what publish validated and stored", () => {
    const event = routed();
    expect(decodeEvent(JSON.stringify(event))).toEqual({ ok: true, event });
  });

  it("refuses a payload whose envelope is wrong, naming the field", () => {
    const event = routed() as unknown as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      ["{not json", /^not JSON/],
      [[1], /^invalid event: \(root\)/],
      [{ ...event, id: undefined }, /^invalid event: id/],
      [{ ...event, type: "inbound.nonsense" }, /^invalid event: type: unknown event type inbound.nonsense/],
      [{ ...event, v: "1" }, /^invalid event: v/],
      [{ ...event, data: null }, /^invalid event: data/],
    ];
    for (const [value, error] of cases) {
      const raw = typeof value === "string" ? value : JSON.stringify(value);
      const decoded = decodeEvent(raw);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error).toMatch(error);
    }
  });
});
