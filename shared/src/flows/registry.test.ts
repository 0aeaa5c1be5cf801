import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FlowError } from "./parse.js";
import { createFlowRegistry, loadFlowRegistry } from "./registry.js";

const dirs: string[] = [];
const tempDir = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "flank-flows-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const minimal = (id: string) =>
  JSON.stringify({ id, initialStage: "a", stages: { a: { goal: "g", replies: ["r"], transitions: [] } } });

describe("loadFlowRegistry", () => {
  it("loads the shipped flows; general-assistant is the default", async () => {
    const reg = await loadFlowRegistry();
    expect(reg.ids()).toEqual(["appointment-booking", "general-assistant"]);
    expect(reg.default.id).toBe("general-assistant");
    const booking = reg.get("appointment-booking");
    expect(booking?.initialStage).toBe("greeting");
    expect(booking?.handoffKeywords).toEqual(["agent", "human"]);
    expect(booking?.stages.confirm?.options?.type).toBe("buttons");
    expect(Object.keys(booking?.stages ?? {})).toEqual(["greeting", "collect", "confirm", "done"]);
  });

  it("every shipped flow tells the user about a handoff: a handoff message and an away message", async () => {
    const registry = await loadFlowRegistry();
    for (const id of registry.ids()) {
      const flow = registry.get(id);
      expect(flow?.handoffKeywords?.length, id).toBeGreaterThan(0);
      expect(flow?.handoffMessage, id).toMatch(/person/);
      expect(flow?.awayMessage, id).toMatch(/get back to you/);
    }
  });

  it("FLOW names the default by id or by file path, and resolve() falls back to it", async () => {
    expect((await loadFlowRegistry({ defaultFlow: "appointment-booking" })).default.id).toBe(
      "appointment-booking",
    );
    const dir = tempDir({ "mine.json": minimal("mine") });
    const reg = await loadFlowRegistry({ defaultFlow: join(dir, "mine.json") });
    expect(reg.default.id).toBe("mine");
    expect(reg.default.idleTimeoutMinutes).toBe(1440);
    expect(reg.resolve("nope").id).toBe("mine");
    expect(reg.resolve("general-assistant").id).toBe("general-assistant");
  });

  it("reads extra directories, whose flows may replace shipped ones but not each other", async () => {
    const dir = tempDir({
      "a.json": minimal("general-assistant"),
      "b.yml": "id: extra\ninitialStage: a\nstages: {a: {goal: g, replies: [r]}}\n",
    });
    const reg = await loadFlowRegistry({ dirs: [dir] });
    expect(reg.get("general-assistant")?.initialStage).toBe("a");
    expect(reg.get("extra")?.stages.a?.transitions).toEqual([]);
    const dup = tempDir({ "x.json": minimal("same"), "y.json": minimal("same") });
    await expect(loadFlowRegistry({ dirs: [dup] })).rejects.toThrow(
      /"same" is defined by both .*x\.json and .*y\.json/,
    );
  });

  it("rejects an unknown FLOW id, naming the known ones", async () => {
    await expect(loadFlowRegistry({ defaultFlow: "nope" })).rejects.toThrow(
      /FLOW "nope" is not a known flow \(known: appointment-booking, general-assistant\)/,
    );
  });

  it("names the file, path and line of a YAML error", async () => {
    const dir = tempDir({
      "bad.yaml": [
        "id: bad", // 1
        "initialStage: a", // 2
        "stages:", // 3
        "  a:", // 4
        "    goal: g", // 5
        "    replies: [r]", // 6
        "    transitions:", // 7
        "      - to: nowhere", // 8
        "        when: { keywords: [x] }", // 9
      ].join("\n"),
    });
    const err = await loadFlowRegistry({ dirs: [dir], shipped: false, defaultFlow: "bad" }).catch((e) => e);
    expect(err).toBeInstanceOf(FlowError);
    expect((err as FlowError).issues).toEqual([
      { path: "stages.a.transitions.0.to", line: 8, message: 'unknown stage "nowhere"' },
    ]);
    expect((err as Error).message).toContain(`${join(dir, "bad.yaml")}:8: stages.a.transitions.0.to`);
  });

  it("names the line of a YAML syntax error", async () => {
    const dir = tempDir({ "broken.yaml": "id: x\nstages:\n  a: [unclosed\n" });
    const err = (await loadFlowRegistry({ dirs: [dir] }).catch((e) => e)) as FlowError;
    expect(err).toBeInstanceOf(FlowError);
    expect(err.file).toBe(join(dir, "broken.yaml"));
    expect(err.issues[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it("finds the line of the key in a JSON file, and of a JSON syntax error", async () => {
    const json = JSON.stringify(
      {
        id: "j",
        initialStage: "a",
        stages: { a: { goal: "g", replies: ["r"], transitions: [], colour: "red" } },
      },
      null,
      2,
    );
    const dir = tempDir({ "j.json": json });
    const err = (await loadFlowRegistry({ dirs: [dir] }).catch((e) => e)) as FlowError;
    const line = json.split("\n").findIndex((l) => l.includes('"colour"')) + 1;
    expect(err.issues).toEqual([{ path: "stages.a.colour", line, message: expect.stringMatching(/colour/) }]);

    const broken = tempDir({ "k.json": '{\n  "id": "k",\n  "stages": {,\n}' });
    const syntax = (await loadFlowRegistry({ dirs: [broken] }).catch((e) => e)) as FlowError;
    expect(syntax).toBeInstanceOf(FlowError);
    expect(syntax.issues[0]?.line).toBe(3);
  });
});

describe("createFlowRegistry", () => {
  it("validates flows given in code; the first is the default", () => {
    const reg = createFlowRegistry([JSON.parse(minimal("one")), JSON.parse(minimal("two"))]);
    expect(reg.default.id).toBe("one");
    expect(reg.get("two")?.idleTimeoutMinutes).toBe(1440);
    expect(() => createFlowRegistry([JSON.parse(minimal("one"))], "zzz")).toThrow(/not a known flow/);
  });
});
