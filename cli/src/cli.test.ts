import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRedisBus } from "@flank/shared/bus";
import { createEvent } from "@flank/shared/contract";
import { freePort, hasBinary, startRedisServer, type TestServer, waitFor } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./cli.js";
import { webhookUrlOf } from "./commands/simulate.js";
import { type Embedded, startEmbedded } from "./embedded.js";
import { REPO_ROOT } from "./stack.js";
import { bareConfig, FAST_STATUSES, silentLog, testIo } from "./test-helpers.js";

// An empty directory as cwd, so no .env of the developer's leaks into the tests.
const cwd = mkdtempSync(join(tmpdir(), "flank-cli-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("flank: usage and exit codes", () => {
  it("prints usage for help (0), and usage errors exit 2", async () => {
    const help = testIo();
    expect(await run(["help"], help)).toBe(0);
    expect(help.out.join("")).toMatch(/simulate[\s\S]*tail[\s\S]*flows validate/);

    const unknown = testIo();
    expect(await run(["bogus"], unknown)).toBe(2);
    expect(unknown.err.join("")).toContain('unknown command "bogus"');

    const badOption = testIo();
    expect(await run(["simulate", "--nope"], badOption)).toBe(2);
    expect(badOption.err.join("")).toMatch(/--nope[\s\S]*Usage: flank simulate/);

    const version = testIo();
    expect(await run(["--version"], version)).toBe(0);
    expect(version.out.join("")).toMatch(/^\d+\.\d+\.\d+\n$/);

    const missing = testIo({}, cwd);
    expect(await run(["simulate", "--to", "http://127.0.0.1:1", "--from", "16505551234"], missing)).toBe(2);
    expect(missing.err.join("")).toContain("--text is required");
  });
});

describe("flank flows validate", () => {
  it("prints OK for a good flow", async () => {
    const io = testIo({}, REPO_ROOT);
    expect(await run(["flows", "validate", "shared/flows/general-assistant.yaml"], io)).toBe(0);
    expect(io.out.join("")).toMatch(/^OK shared\/flows\/general-assistant.yaml: flow "general-assistant"/);
  });

  it("warns with file:line about a regex with nested quantifiers, and still passes it (0)", async () => {
    const file = join(cwd, "nested.yaml");
    writeFileSync(
      file,
      [
        "id: nested",
        "initialStage: start",
        "stages:",
        "  start:",
        "    goal: g",
        "    replies: [r]",
        "    transitions:",
        "      - to: start",
        "        when: { regex: '^(\\w+\\s?)*$' }",
        "",
      ].join("\n"),
    );
    const io = testIo({}, cwd);
    expect(await run(["flows", "validate", "nested.yaml"], io)).toBe(0);
    expect(io.err.join("")).toMatch(
      /^warning: nested\.yaml:9: stages\.start\.transitions\.0\.when\.regex: nested quantifiers/,
    );
    expect(io.out.join("")).toMatch(/^OK nested\.yaml/);
  });

  it("prints the error with file:line for a bad one (1), and needs a file (2)", async () => {
    const file = join(cwd, "bad.yaml");
    writeFileSync(
      file,
      "id: bad\nname: Bad\ninitialStage: start\nstages:\n  start:\n    goal: 42\n    bogus: true\n",
    );
    const io = testIo({}, cwd);
    expect(await run(["flows", "validate", "bad.yaml"], io)).toBe(1);
    expect(io.err.join("")).toMatch(/bad\.yaml:\d+: stages\.start/);
    expect(await run(["flows", "validate"], testIo())).toBe(2);
    expect(await run(["flows", "check", "x"], testIo())).toBe(2);
  });

  it("checks several files: a result for each, and 1 when any fails", async () => {
    writeFileSync(join(cwd, "broken.yaml"), "id: broken\ninitialStage: nowhere\nstages: {}\n");
    const flows = join(REPO_ROOT, "shared/flows");
    const files = [
      join(flows, "general-assistant.yaml"),
      "broken.yaml",
      join(flows, "appointment-booking.yaml"),
    ];
    const io = testIo({}, cwd);
    expect(await run(["flows", "validate", ...files], io)).toBe(1);
    expect(io.out.join("")).toMatch(/^OK .*general-assistant\.yaml[\s\S]*\nOK .*appointment-booking\.yaml/);
    expect(io.err.join("")).toContain("broken.yaml");

    const good = testIo({}, cwd);
    expect(await run(["flows", "validate", files[0] ?? "", files[2] ?? ""], good)).toBe(0);
    expect(good.out.join("").match(/^OK /gm)).toHaveLength(2);
  });
});

describe("flank start: failing fast", () => {
  it("exits 1 with one line naming Redis, the masked URL and REDIS_URL when Redis cannot be reached", async () => {
    const port = await freePort();
    const io = testIo(
      { BUS: "redis", REDIS_URL: `redis://:hunter22@127.0.0.1:${port}`, CONNECT_TIMEOUT_MS: "1000" },
      cwd,
    );
    expect(await run(["start", "--port", "0"], io)).toBe(1);
    expect(io.err).toEqual([
      `flank start: cannot connect to Redis at redis://:****@127.0.0.1:${port}: no connection within 1 s (connect ECONNREFUSED 127.0.0.1:${port}); check REDIS_URL\n`,
    ]);
  });

  it("Ctrl-C while connecting stops at once", async () => {
    const io = testIo(
      { BUS: "redis", REDIS_URL: `redis://127.0.0.1:${await freePort()}`, CONNECT_TIMEOUT_MS: "60000" },
      cwd,
    );
    const started = performance.now();
    const done = run(["start", "--port", "0"], io);
    setTimeout(() => io.stop(), 300);
    expect(await done).toBe(0);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(io.err).toEqual([]);
  });
});

describe("flank simulate", () => {
  let flank: Embedded;
  beforeAll(async () => {
    flank = await startEmbedded(bareConfig(), silentLog(), { port: 0, statusTiming: FAST_STATUSES });
  });
  afterAll(() => flank?.stop());

  it("sends a signed inbound message with APP_SECRET from the environment; the bot replies", async () => {
    const io = testIo({ APP_SECRET: flank.generated.appSecret }, cwd);
    const code = await run(
      ["simulate", "--to", flank.url, "--from", "16505551234", "--name", "Ana", "--text", "hi"],
      io,
    );
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(io.out.join("")).toMatch(/^sent wamid\.\S+ from \+16505551234/);
    await waitFor(() => flank.simulator?.accepted.some((a) => a.to?.endsWith("16505551234")) === true, {
      timeoutMs: 10_000,
    });
  });

  it("fails (1) when the gateway refuses the signature or cannot be reached", async () => {
    const wrong = testIo({ APP_SECRET: "not-the-secret" }, cwd);
    const args = ["simulate", "--to", flank.url, "--from", "16505551234", "--text", "hi"];
    expect(await run(args, wrong)).toBe(1);
    expect(wrong.err.join("")).toContain("403");
    const down = testIo({ APP_SECRET: "x" }, cwd);
    expect(
      await run(["simulate", "--to", "http://127.0.0.1:9", "--from", "16505551234", "--text", "hi"], down),
    ).toBe(1);
    expect(down.err.join("")).toContain("could not reach");
  });

  it("adds Meta's webhook path to a bare origin", () => {
    expect(webhookUrlOf("http://localhost:3001")).toBe("http://localhost:3001/webhook/whatsapp");
    expect(webhookUrlOf("http://h/webhook")).toBe("http://h/webhook");
    expect(() => webhookUrlOf("localhost:3001")).toThrow(/--to/);
  });
});

describe("flank tail", () => {
  it("refuses the in-memory bus with a hint (1) and an unknown topic (2)", async () => {
    const io = testIo({}, cwd);
    expect(await run(["tail"], io)).toBe(1);
    expect(io.err.join("")).toContain("BUS=redis");
    expect(await run(["tail", "--topic", "nope"], testIo({}, cwd))).toBe(2);
  });

  describe.skipIf(!hasBinary("redis-server"))("on Redis", () => {
    let redis: TestServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(() => redis?.stop());

    it("prints live events of the chosen topic until stopped", async () => {
      const io = testIo({ BUS: "redis", REDIS_URL: redis.url }, cwd);
      const tail = run(["tail", "--topic", "inbound.status"], io);
      await waitFor(() => io.err.join("").includes("tailing flank.inbound.status"), { timeoutMs: 10_000 });
      const bus = await createRedisBus(redis.url, silentLog(), { partitions: 2 });
      try {
        const status = createEvent({
          type: "inbound.status",
          tenant: "1",
          conversationId: "1:16505551234",
          data: {
            wamid: "wamid.T",
            phoneNumberId: "1",
            status: "read",
            timestamp: new Date().toISOString(),
            raw: {},
          },
        });
        const other = createEvent({
          ...status,
          type: "inbound.error",
          data: { errors: [{ code: 1 }], raw: {} },
        });
        await bus.publish([other, status]);
        await waitFor(() => io.out.length > 0, { timeoutMs: 10_000 });
      } finally {
        await bus.close();
      }
      io.stop();
      expect(await tail).toBe(0);
      expect(io.out).toHaveLength(1);
      expect(io.out[0]).toMatch(/inbound\.status\s+1:16505551234 {2}read wamid\.T/);
    });
  });
});
