import { describe, expect, it } from "vitest";
import { describeIssues } from "../events/event.js";
import { Flow, type FlowInput } from "./schema.js";

const base = (): FlowInput => ({
  id: "t",
  initialStage: "a",
  intents: [{ name: "buy" }],
  stages: {
    a: { goal: "g", replies: ["r"], transitions: [{ to: "b", when: { keywords: ["go"] } }] },
    b: { goal: "g", replies: ["r"], transitions: [] },
  },
});
const problems = (mutate: (f: FlowInput) => void): string => {
  const flow = base();
  mutate(flow);
  const parsed = Flow.safeParse(flow);
  return parsed.success ? "" : describeIssues(parsed.error);
};
const stageA = (f: FlowInput) => {
  const a = f.stages.a;
  if (!a) throw new Error("fixture lost stage a");
  return a;
};
const buttons = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${i}`, title: `ok${i}` }));

const withOptions = (options: NonNullable<FlowInput["stages"][string]>["options"]) => (f: FlowInput) => {
  stageA(f).options = options;
};

describe("Flow schema", () => {
  it("accepts every condition kind and applies defaults", () => {
    const flow = base();
    stageA(flow).transitions = [
      { to: "b", when: { keywords: ["x"] } },
      { to: "b", when: { regex: "^\\d+$", flags: "i" } },
      { to: "b", when: { replyIds: ["r1"] } },
      { to: "b", when: { intent: "buy" } },
      { to: "b", when: { idleMinutes: 30 } },
    ];
    const parsed = Flow.parse(flow);
    expect(parsed.idleTimeoutMinutes).toBe(1440);
    expect(parsed.stages.a?.transitions).toHaveLength(5);
  });

  it.each<[string, (f: FlowInput) => void, RegExp]>([
    [
      "unknown initial stage",
      (f) => {
        f.initialStage = "zz";
      },
      /initialStage: unknown stage "zz"/,
    ],
    [
      "unknown target",
      (f) => {
        stageA(f).transitions = [{ to: "zz", when: { keywords: ["x"] } }];
      },
      /stages\.a\.transitions\.0\.to: unknown stage "zz"/,
    ],
    [
      "bad regex",
      (f) => {
        stageA(f).transitions = [{ to: "b", when: { regex: "(" } }];
      },
      /when\.regex: invalid regex/,
    ],
    [
      "bad regex flags",
      (f) => {
        stageA(f).transitions = [{ to: "b", when: { regex: "a", flags: "q" } }];
      },
      /invalid regex/,
    ],
    [
      "undeclared intent",
      (f) => {
        stageA(f).transitions = [{ to: "b", when: { intent: "sell" } }];
      },
      /intent "sell" is not declared/,
    ],
    [
      "reserved intent none",
      (f) => {
        f.intents = [{ name: "none" }];
      },
      /intents\.0\.name: "none" is reserved/,
    ],
    [
      "no replies",
      (f) => {
        stageA(f).replies = [];
      },
      /stages\.a\.replies/,
    ],
    [
      "two conditions in one",
      (f) => {
        stageA(f).transitions = [{ to: "b", when: { keywords: ["x"], intent: "buy" } as never }];
      },
      /when/,
    ],
    [
      "4 buttons",
      (f) => {
        stageA(f).options = { type: "buttons", buttons: buttons(4) };
      },
      /options\.buttons/,
    ],
    [
      "button title > 20",
      (f) => {
        stageA(f).options = { type: "buttons", buttons: [{ id: "x", title: "x".repeat(21) }] };
      },
      /buttons\.0\.title/,
    ],
    [
      "duplicate button ids",
      withOptions({
        type: "buttons",
        buttons: [
          { id: "x", title: "a" },
          { id: "x", title: "b" },
        ],
      }),
      /duplicate option id "x"/,
    ],
    [
      "list button > 20",
      withOptions({
        type: "list",
        button: "x".repeat(21),
        sections: [{ rows: [{ id: "r", title: "t" }] }],
      }),
      /options\.button/,
    ],
    [
      "list row title > 24",
      withOptions({
        type: "list",
        button: "Pick",
        sections: [{ rows: [{ id: "r", title: "t".repeat(25) }] }],
      }),
      /rows\.0\.title/,
    ],
    [
      "list > 10 rows in total",
      withOptions({
        type: "list",
        button: "Pick",
        sections: [0, 1].map((s) => ({
          rows: Array.from({ length: 6 }, (_, i) => ({ id: `${s}.${i}`, title: "t" })),
        })),
      }),
      /at most 10 rows/,
    ],
    ["unknown key", (f) => void Object.assign(stageA(f), { colour: "red" }), /colour/],
  ])("rejects %s", (_name, mutate, expected) => {
    expect(problems(mutate)).toMatch(expected);
  });
});
