import { describe, expect, it } from "vitest";
import { createSseParser } from "./sse.js";

describe("createSseParser", () => {
  it("returns whole frames across chunk boundaries, skipping comments", () => {
    const parse = createSseParser();
    expect(parse('event: ready\ndata: {"a"')).toEqual([]);
    expect(parse(":1}\n\n: ping\n\nevent: inbound.message\nid: 01J\ndata: x\ndata: y\n\n")).toEqual([
      { event: "ready", data: '{"a":1}' },
      { event: "inbound.message", id: "01J", data: "x\ny" },
    ]);
    expect(parse("data: no event name\r\n\r\n")).toEqual([{ event: "message", data: "no event name" }]);
    expect(parse("event: empty\n\n")).toEqual([]);
  });
});
