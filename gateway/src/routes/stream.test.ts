import type { Bus } from "@flank/shared/bus";
import { createEvent, type FlankEvent } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { AUTH, makeApp, PNID, sseReader } from "../test-harness.js";

const message = (user: string, text: string): FlankEvent =>
  createEvent({
    type: "inbound.message",
    tenant: PNID,
    conversationId: `${PNID}:${user}`,
    data: {
      wamid: `wamid.${text}`,
      phoneNumberId: PNID,
      from: user,
      timestamp: new Date().toISOString(),
      type: "text",
      text,
      raw: {},
    },
  });

const status = (user: string): FlankEvent =>
  createEvent({
    type: "inbound.status",
    tenant: PNID,
    conversationId: `${PNID}:${user}`,
    data: {
      wamid: "wamid.s",
      phoneNumberId: PNID,
      status: "read",
      timestamp: new Date().toISOString(),
      raw: {},
    },
  });

/** Counts taps opened and closed on a bus. */
function countingTaps(bus: Bus) {
  const counts = { open: 0, closed: 0 };
  const tap = bus.tap.bind(bus);
  bus.tap = async (pattern, handler) => {
    const sub = await tap(pattern, handler);
    counts.open++;
    return {
      close: async () => {
        counts.closed++;
        await sub.close();
      },
    };
  };
  return counts;
}

describe("GET /v1/stream", () => {
  it("streams events of one topic and closes its tap when the client goes away", async () => {
    const t = makeApp();
    const taps = countingTaps(t.bus);
    const res = await t.app.request("/v1/stream?topic=inbound.message", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sse = sseReader(res);
    await waitFor(() => sse.frames.some((f) => f.event === "ready"));
    await t.inner.publish([status("1"), message("1", "first"), message("2", "second")]);
    await waitFor(() => sse.frames.filter((f) => f.event === "inbound.message").length === 2);
    const events = sse.frames
      .filter((f) => f.event !== "ready")
      .map((f) => JSON.parse(f.data ?? "{}") as FlankEvent);
    expect(events.map((e) => (e.data as { text?: string }).text)).toEqual(["first", "second"]);
    expect(taps.open).toBe(1);
    await sse.cancel();
    await waitFor(() => taps.closed === 1, { what: "tap closed after disconnect" });
  });

  it("streams one conversation's events of every topic, each once", async () => {
    const t = makeApp();
    const res = await t.app.request(`/v1/stream?conversation=${PNID}:1`, { headers: AUTH });
    const sse = sseReader(res);
    await waitFor(() => sse.frames.some((f) => f.event === "ready"));
    await t.inner.publish([message("2", "other"), message("1", "mine"), status("1")]);
    await waitFor(() => sse.frames.length === 3);
    expect(sse.frames.map((f) => f.event)).toEqual(["ready", "inbound.message", "inbound.status"]);
    await sse.cancel();
  });

  it("without filters sends every event exactly once", async () => {
    const t = makeApp();
    const res = await t.app.request("/v1/stream", { headers: AUTH });
    const sse = sseReader(res);
    await waitFor(() => sse.frames.some((f) => f.event === "ready"));
    await t.inner.publish([message("1", "a"), status("2")]);
    await waitFor(() => sse.frames.length >= 3);
    // Give a wrongly duplicated copy the chance to arrive before asserting there is none.
    await t.inner.publish(message("3", "marker"));
    await waitFor(() => sse.frames.some((f) => f.data?.includes("marker")));
    expect(sse.frames.map((f) => f.event)).toEqual([
      "ready",
      "inbound.message",
      "inbound.status",
      "inbound.message",
    ]);
    await sse.cancel();
  });

  it("caps the streams open at once (STREAM_MAX_OPEN): 429 past it, a slot again once one closes", async () => {
    const t = makeApp({ env: { STREAM_MAX_OPEN: "2" } });
    const open = () => t.app.request("/v1/stream", { headers: AUTH });
    const first = sseReader(await open());
    const second = await open();
    expect(second.status).toBe(200);
    const over = await open();
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("5");
    await waitFor(() => first.frames.some((f) => f.event === "ready"));
    await first.cancel();
    await waitFor(async () => (await open()).status === 200, { what: "a slot after a close" });
    await second.body?.cancel();
  });

  it("answers 400 for an unknown topic", async () => {
    const t = makeApp();
    const res = await t.app.request("/v1/stream?topic=gossip", { headers: AUTH });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path).toBe(
      "topic",
    );
  });
});
