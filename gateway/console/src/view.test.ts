import { describe, expect, it } from "vitest";
import type { StoredMessage } from "./types.js";
import {
  actionsFor,
  bubbleOf,
  choicesOf,
  describeInbound,
  laterStatus,
  matchesSearch,
  routeLabel,
  textOf,
  titleOf,
  unreadBadge,
} from "./view.js";

const message = (over: Partial<StoredMessage>): StoredMessage => ({
  id: "m",
  conversationId: "1:2",
  tenant: "1",
  from: "1",
  to: "2",
  statuses: [],
  direction: "outbound",
  type: "text",
  timestamp: "2026-06-01T10:00:00.000Z",
  raw: {},
  ...over,
});

describe("console view", () => {
  it.each<[string, Partial<StoredMessage>, string, string]>([
    ["inbound: the user", { direction: "inbound" }, "user", ""],
    ["the bot", { raw: { source: "bot" } }, "bot", "Bot"],
    [
      "an agent, by name",
      { raw: { source: "agent", agentId: "ana", agentName: "Ana Souza" } },
      "agent",
      "Ana Souza",
    ],
    ["an agent without a name", { raw: { source: "agent", agentId: "ana" } }, "agent", "ana"],
    ["a system notice", { raw: { source: "system" } }, "system", "Flank"],
    ["the API", { raw: { source: "api" } }, "api", "API"],
    ["an echo, by its own source", { source: "echo", raw: {} }, "echo", "WhatsApp Business app"],
    ["an echo stored as inbound", { direction: "inbound", source: "echo" }, "echo", "WhatsApp Business app"],
    ["an unknown source", { raw: { source: "crm" } }, "business", "Business"],
    ["no source at all", { raw: null }, "business", "Business"],
  ])("bubble: %s", (_name, over, kind, author) => {
    expect(bubbleOf(message(over))).toEqual({ kind, author });
  });

  it("never moves a tick backwards, except to failed", () => {
    expect(laterStatus(undefined, "sent")).toBe("sent");
    expect(laterStatus("read", "delivered")).toBe("read");
    expect(laterStatus("queued", "delivered")).toBe("delivered");
    expect(laterStatus("read", "failed")).toBe("failed");
  });

  it("reads messages, quick replies and list labels", () => {
    expect(textOf(message({ body: "hi" }))).toBe("hi");
    expect(textOf(message({ raw: { message: { type: "template", name: "welcome" } } }))).toBe(
      "[template welcome]",
    );
    expect(textOf(message({ direction: "inbound", type: "image" }))).toBe("[image]");
    expect(choicesOf({ type: "buttons", body: "b", buttons: [{ id: "1", title: "Yes" }] })).toEqual(["Yes"]);
    expect(describeInbound({ type: "interactive", interactive: { title: "Talk to a person" } })).toBe(
      "Talk to a person",
    );
    expect(describeInbound({ type: "audio" })).toBe("[audio]");
    expect(titleOf({ user: "5511", waId: "5511" })).toBe("+5511");
    expect(titleOf({ user: "5511", profileName: "Zé" })).toBe("Zé");
    expect([unreadBadge(0), unreadBadge(3), unreadBadge(120)]).toEqual(["", "3", "99+"]);
    expect(routeLabel("agent:ana", "ana")).toBe("you");
    expect(routeLabel("agent:bob", "ana")).toBe("bob");
    expect(routeLabel("queue", "ana")).toBe("waiting in the queue");
    const c = {
      id: "1:5511",
      tenant: "1",
      user: "5511",
      waId: "5511",
      profileName: "Zé Silva",
      stage: "support",
      route: "bot",
      updatedAt: "",
    };
    expect([
      matchesSearch(c, "silva"),
      matchesSearch(c, "551"),
      matchesSearch(c, "supp"),
      matchesSearch(c, "bob"),
    ]).toEqual([true, true, true, false]);
  });

  it("offers the actions the route allows", () => {
    expect(actionsFor("queue", "ana")).toEqual({ take: true, reply: false, release: false, transfer: true });
    expect(actionsFor("bot", "ana")).toEqual({ take: true, reply: false, release: false, transfer: false });
    expect(actionsFor("agent:ana", "ana")).toEqual({
      take: false,
      reply: true,
      release: true,
      transfer: true,
    });
    expect(actionsFor("agent:bob", "ana")).toEqual({
      take: false,
      reply: false,
      release: false,
      transfer: false,
    });
  });
});
