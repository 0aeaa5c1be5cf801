import { createMemoryBus } from "@flank/shared/bus";
import { parseConfig } from "@flank/shared/config";
import { loadFlowRegistry } from "@flank/shared/flows";
import { createLogger } from "@flank/shared/log";
import { createMemoryAgentPresence } from "@flank/shared/routing";
import { createMemoryStores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { classifierFromConfig, startRouter } from "./index.js";
import { observe, textFrom } from "./test-helpers.js";

const log = createLogger({ level: "silent" });

describe("startRouter (embedded mode)", () => {
  it("routes until stopped; stop() is idempotent", async () => {
    const bus = createMemoryBus(log, { partitions: 2 });
    const stores = createMemoryStores();
    const flows = await loadFlowRegistry();
    const router = await startRouter({
      bus,
      stores,
      flows,
      presence: createMemoryAgentPresence({ ttlMs: 1000 }),
      log,
    });
    const seen = await observe(bus, ["conversation.routed"]);
    try {
      await bus.publish(textFrom("5599", "hello"));
      await waitFor(() => seen.routed().length === 1);
      expect(seen.routed()[0]?.data).toMatchObject({
        flowId: "general-assistant",
        stageAfter: "chat",
        route: "bot",
      });
      await Promise.all([router.stop(), router.stop()]);
      await router.stop();
    } finally {
      await seen.close();
      await bus.close();
    }
  });
});

describe("router config", () => {
  it("has defaults, reads overrides and rejects bad values with the variable's name", () => {
    const defaults = parseConfig({}).router;
    expect(defaults).toEqual({
      flowDirs: [],
      classifierModel: "gpt-4o-mini",
      classifierTimeoutMs: 2000,
      agentHeartbeatTtlMs: 60_000,
      agentMaxConversations: 0,
      humanReplyPauseMinutes: 30,
    });
    const custom = parseConfig({
      FLOW_DIRS: "/a, /b",
      CLASSIFIER_MODEL: "small",
      CLASSIFIER_TIMEOUT_MS: "500",
      AGENT_MAX_CONVERSATIONS: "5",
      HUMAN_REPLY_PAUSE_MINUTES: "0",
    }).router;
    expect(custom).toMatchObject({
      flowDirs: ["/a", "/b"],
      classifierModel: "small",
      classifierTimeoutMs: 500,
      agentMaxConversations: 5,
      humanReplyPauseMinutes: 0,
    });
    expect(() => parseConfig({ CLASSIFIER_TIMEOUT_MS: "fast", AGENT_HEARTBEAT_TTL_MS: "5" })).toThrow(
      /CLASSIFIER_TIMEOUT_MS: expected a whole number[\s\S]*AGENT_HEARTBEAT_TTL_MS: expected a whole number/,
    );
    expect(() => parseConfig({ HUMAN_REPLY_PAUSE_MINUTES: "-1" })).toThrow(/HUMAN_REPLY_PAUSE_MINUTES/);
  });

  it("builds a classifier only when an OpenAI key is configured", () => {
    expect(classifierFromConfig(parseConfig({}), log)).toBeUndefined();
    expect(classifierFromConfig(parseConfig({ OPENAI_API_KEY: "sk-x" }), log)).toBeDefined();
  });
});
