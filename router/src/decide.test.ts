import type { InboundMessageData } from "@flank/shared/contract";
import { Flow, MATCH_TEXT_LIMIT } from "@flank/shared/flows";
import { describe, expect, it } from "vitest";
import { type ConversationState, type Decision, decide, stageIntents } from "./decide.js";

const flow = Flow.parse({
  id: "test-flow",
  initialStage: "start",
  idleTimeoutMinutes: 60,
  intents: [{ name: "pricing" }, { name: "refund" }],
  handoffKeywords: ["agent", "falar com humano"],
  stages: {
    start: {
      goal: "greet",
      replies: ["hi"],
      transitions: [
        { to: "menu", when: { keywords: ["menu", "opcao"] } },
        { to: "order", when: { regex: "^#\\d{4}$" } },
        { to: "prices", when: { intent: "pricing" } },
        { to: "nudge", when: { idleMinutes: 10 } },
      ],
    },
    menu: {
      goal: "menu",
      replies: ["pick"],
      options: {
        type: "buttons",
        buttons: [
          { id: "menu.refund", title: "Refund" },
          { id: "menu.help", title: "Help" },
        ],
      },
      transitions: [
        { to: "refund", when: { replyIds: ["menu.refund", "REFUND_PAYLOAD"] } },
        { to: "help", when: { replyIds: ["menu.help"] } },
      ],
    },
    order: { goal: "order", replies: ["o"], transitions: [] },
    prices: { goal: "prices", replies: ["p"], transitions: [] },
    nudge: { goal: "nudge", replies: ["n"], transitions: [] },
    refund: { goal: "refund", replies: ["r"], transitions: [{ to: "done", when: { keywords: ["thanks"] } }] },
    help: { goal: "help", replies: ["h"], handoff: true, transitions: [] },
    done: { goal: "bye", replies: ["bye"], terminal: true, transitions: [] },
  },
});

const NOW = new Date("2026-05-01T12:00:00Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();
const at = (stage: string | null, extra: Partial<ConversationState> = {}): ConversationState => ({
  stage,
  route: "bot",
  flowId: "test-flow",
  lastInboundAt: minutesAgo(1),
  ...extra,
});
const msg = (over: Partial<InboundMessageData>): InboundMessageData => ({
  wamid: "wamid.1",
  phoneNumberId: "111",
  from: "5511999",
  timestamp: NOW.toISOString(),
  type: "text",
  raw: {},
  ...over,
});
const text = (body: string) => msg({ type: "text", text: body });

type Row = [
  name: string,
  state: ConversationState | undefined,
  message: InboundMessageData,
  expected: Partial<Decision>,
  intent?: string,
];

const rows: Row[] = [
  [
    "new conversation starts at the initial stage",
    undefined,
    text("hello"),
    { stage: "start", route: "bot", rule: "none", restart: "new" },
  ],
  [
    "new conversation can move on at once",
    undefined,
    text("menu"),
    { stage: "menu", rule: "transition", restart: "new" },
  ],
  [
    "keyword, case-insensitive",
    at("start"),
    text("Show me the MENU please"),
    { stage: "menu", transition: { index: 0, kind: "keywords", to: "menu" } },
  ],
  [
    "keyword, accent-insensitive",
    at("start"),
    text("Opção 2"),
    { stage: "menu", transition: { index: 0, kind: "keywords", to: "menu" } },
  ],
  [
    "keyword is a whole word only",
    at("start"),
    text("menus everywhere"),
    { stage: "start", rule: "none", reason: "no transition matched: stay" },
  ],
  [
    "keyword in an image caption",
    at("start"),
    msg({ type: "image", text: "menu?", media: { id: "m1" } }),
    { stage: "menu" },
  ],
  [
    "regex",
    at("start"),
    text("#1234"),
    { stage: "order", transition: { index: 1, kind: "regex", to: "order" } },
  ],
  ["regex does not match", at("start"), text("#12345"), { stage: "start", rule: "none" }],
  [
    "interactive button reply id",
    at("menu"),
    msg({
      type: "interactive",
      interactive: { kind: "button_reply", id: "menu.refund", title: "Refund" },
      text: "Refund",
    }),
    { stage: "refund", transition: { index: 0, kind: "replyIds", to: "refund" } },
  ],
  [
    "interactive list reply id",
    at("menu"),
    msg({ type: "interactive", interactive: { kind: "list_reply", id: "menu.refund", title: "x" } }),
    { stage: "refund" },
  ],
  [
    "template quick-reply button payload",
    at("menu"),
    msg({
      type: "button",
      button: { payload: "REFUND_PAYLOAD", text: "Refund please" },
      text: "Refund please",
    }),
    { stage: "refund", transition: { index: 0, kind: "replyIds", to: "refund" } },
  ],
  [
    "a reply id of another stage does nothing",
    at("start"),
    msg({ type: "interactive", interactive: { kind: "button_reply", id: "menu.refund" } }),
    { stage: "start", rule: "none" },
  ],
  [
    "intent label",
    at("start"),
    text("how much is it?"),
    { stage: "prices", transition: { index: 2, kind: "intent", to: "prices" } },
    "pricing",
  ],
  [
    "intent none matches nothing",
    at("start"),
    text("how much is it?"),
    { stage: "start", rule: "none" },
    "none",
  ],
  [
    "an intent the stage does not test",
    at("start"),
    text("money back"),
    { stage: "start", rule: "none" },
    "refund",
  ],
  [
    "idle time condition",
    at("start", { lastInboundAt: minutesAgo(15) }),
    text("hello again"),
    { stage: "nudge", transition: { index: 3, kind: "idleMinutes", to: "nudge" } },
  ],
  [
    "idle time below the condition",
    at("start", { lastInboundAt: minutesAgo(5) }),
    text("hello again"),
    { stage: "start", rule: "none" },
  ],
  [
    "idle past the flow's timeout restarts",
    at("refund", { lastInboundAt: minutesAgo(61) }),
    text("hello"),
    { stage: "start", rule: "none", restart: "idle", reason: "idle timeout: restarted" },
  ],
  [
    "idle restart also ends a handoff",
    at("help", { route: "agent:ana", lastInboundAt: minutesAgo(120) }),
    text("hi"),
    { stage: "start", route: "bot", restart: "idle" },
  ],
  [
    "handoff keyword",
    at("refund"),
    text("I want an AGENT now"),
    { stage: "refund", route: "queue", rule: "handoff-keyword", reason: 'handoff keyword "agent"' },
  ],
  [
    "handoff keyword phrase with accents",
    at("start"),
    text("Quero falar com humano!"),
    { route: "queue", rule: "handoff-keyword" },
  ],
  [
    "handoff stage",
    at("menu"),
    msg({ type: "interactive", interactive: { kind: "button_reply", id: "menu.help" } }),
    { stage: "help", route: "queue", rule: "transition", reason: "replyIds → help (handoff stage)" },
  ],
  [
    "held by an agent: stage frozen, route kept",
    at("menu", { route: "agent:ana" }),
    text("menu agent"),
    { stage: "menu", route: "agent:ana", rule: "held", reason: "held by agent:ana" },
  ],
  [
    "queued: stays queued",
    at("help", { route: "queue" }),
    text("hello?"),
    { stage: "help", route: "queue", rule: "held" },
  ],
  [
    "released from a handoff stage restarts",
    at("help"),
    text("menu"),
    { stage: "menu", route: "bot", restart: "released" },
  ],
  [
    "image without caption",
    at("start"),
    msg({ type: "image", media: { id: "m1" } }),
    { stage: "start", rule: "none", reason: "no text in a image message" },
  ],
  [
    "reaction",
    at("start"),
    msg({ type: "reaction", reaction: { messageId: "w", emoji: "👍" }, text: "👍" }),
    { stage: "start", rule: "none", reason: "no text in a reaction message" },
  ],
  ["sticker", at("menu"), msg({ type: "sticker", media: { id: "s" } }), { stage: "menu", rule: "none" }],
  [
    "location",
    at("start"),
    msg({ type: "location", location: { latitude: 1, longitude: 2, name: "menu" } }),
    { stage: "start", rule: "none" },
  ],
  [
    "unsupported",
    at("start"),
    msg({ type: "unsupported", unsupportedType: "poll" }),
    { stage: "start", rule: "none" },
  ],
  [
    "unknown stored stage resets to initial",
    at("vanished"),
    text("hello"),
    {
      stage: "start",
      rule: "none",
      restart: "unknown-stage",
      reason: "stored stage unknown to the flow: restarted",
    },
  ],
  [
    "unknown stored stage, then the message applies",
    at("vanished"),
    text("menu"),
    { stage: "menu", restart: "unknown-stage" },
  ],
  [
    "another flow's conversation restarts",
    at("menu", { flowId: "other" }),
    text("hello"),
    { stage: "start", restart: "flow-changed" },
  ],
  [
    "after a terminal stage a new message starts over",
    at("done"),
    text("menu"),
    { stage: "menu", restart: "terminal" },
  ],
  [
    "nothing matches: stay",
    at("refund"),
    text("blah"),
    { stage: "refund", route: "bot", rule: "none", reason: "no transition matched: stay" },
  ],
];

describe("decide", () => {
  it.each(rows)("%s", (_name, state, message, expected, intent) => {
    const decision = decide(state, message, flow, { now: NOW, intent });
    expect(decision).toMatchObject(expected);
  });

  it("is pure: the same input gives the same decision and the state is not mutated", () => {
    const state = at("start");
    const copy = structuredClone(state);
    expect(decide(state, text("menu"), flow, { now: NOW })).toEqual(
      decide(state, text("menu"), flow, { now: NOW }),
    );
    expect(state).toEqual(copy);
  });

  it("matches rules against the first MATCH_TEXT_LIMIT characters only", () => {
    const long = Flow.parse({
      id: "long",
      initialStage: "a",
      stages: {
        a: {
          goal: "g",
          replies: ["r"],
          // Matches only a text longer than the limit, or one with "tail" past it.
          transitions: [{ to: "b", when: { regex: `^[\\s\\S]{${MATCH_TEXT_LIMIT + 1}}|tail$` } }],
        },
        b: { goal: "g", replies: ["r"], transitions: [] },
      },
    });
    const state = { ...at("a"), flowId: "long" };
    const decision = decide(state, text(`${"x".repeat(MATCH_TEXT_LIMIT + 10)} tail`), long, { now: NOW });
    expect(decision).toMatchObject({ stage: "a", rule: "none" });
    expect(decide(state, text("a tail"), long, { now: NOW })).toMatchObject({ stage: "b" });
  });

  it("lists the intents a stage tests", () => {
    expect(stageIntents(flow, "start")).toEqual(["pricing"]);
    expect(stageIntents(flow, "menu")).toEqual([]);
  });
});

describe("decide: a person answering outside Flank, and groups", () => {
  const text = (body: string, extra: Partial<InboundMessageData> = {}): InboundMessageData => ({
    wamid: "wamid.x",
    phoneNumberId: "111",
    from: "5511",
    timestamp: NOW.toISOString(),
    type: "text",
    text: body,
    raw: {},
    ...extra,
  });
  const paused = (until: string): ConversationState =>
    at("start", {
      route: "human",
      pausedUntil: until,
      pauseReason: "app reply",
      lastInboundAt: minutesAgo(600),
    });

  it("holds while the pause runs, even past the idle timeout and with a handoff keyword", () => {
    for (const body of ["menu", "agent"]) {
      expect(decide(paused(minutesAgo(-5)), text(body), flow, { now: NOW })).toMatchObject({
        stage: "start",
        route: "human",
        rule: "held",
        pauseReason: "app reply",
      });
    }
  });

  it("returns to the bot once the pause is over, and the message moves the stage", () => {
    const d = decide(paused(minutesAgo(1)), text("menu"), flow, { now: NOW });
    expect(d).toMatchObject({ stage: "menu", route: "bot", rule: "transition" });
    expect(d.reason).toMatch(/^pause over: back to the bot/);
  });

  it("gives group messages to a person unless the flow lets the bot answer groups", () => {
    const group = text("menu", { groupId: "G1" });
    const off = decide(at("start"), group, flow, { now: NOW });
    expect(off).toMatchObject({ route: "human", stage: "menu" });
    expect(off.pauseReason).toMatch(/groups are off/);
    // Still held on the next group message (a pause without end).
    expect(decide(at("menu", { route: "human" }), group, flow, { now: NOW })).toMatchObject({
      route: "human",
      rule: "held",
    });
    const on = Flow.parse({ ...flow, groups: { autoReply: true } });
    expect(decide(at("start"), group, on, { now: NOW })).toMatchObject({ route: "bot", stage: "menu" });
    expect(decide(at("start", { route: "human" }), group, on, { now: NOW })).toMatchObject({ route: "bot" });
  });
});
