import { parseConfig } from "@flank/shared/config";
import { describe, expect, it } from "vitest";

describe("responder configuration", () => {
  it("has sensible defaults", () => {
    expect(parseConfig({}).responder).toEqual({
      openaiTimeoutMs: 20_000,
      openaiMaxRetries: 2,
      modelMaxInFlight: 1000,
      httpMaxSockets: 1000,
      burstMode: "combine",
      burstWaitMs: 0,
      typingRefreshMs: 20_000,
      maxTokens: 400,
      temperature: 0.7,
      fallbackReply: "Sorry, I can't answer right now. Please try again in a moment.",
      summaryEvery: 10,
      summaryMaxInFlight: 100,
      historyMessages: 20,
      historyTokenBudget: 3000,
      markRead: true,
      typingIndicator: true,
      sendTimeoutMs: 10_000,
      sendMaxAttempts: 5,
      sendRetryBaseMs: 1000,
      ratePerNumber: 80,
      ratePerRecipient: 1 / 6,
      burstPerRecipient: 10,
    });
  });

  it("reads booleans and numbers from the environment", () => {
    const r = parseConfig({
      MARK_READ: "false",
      TYPING_INDICATOR: "0",
      OPENAI_TEMPERATURE: "0.1",
      SUMMARY_EVERY: "3",
    }).responder;
    expect(r).toMatchObject({ markRead: false, typingIndicator: false, temperature: 0.1, summaryEvery: 3 });
  });

  it("names every bad value", () => {
    let message = "";
    try {
      parseConfig({ MARK_READ: "maybe", SEND_BURST_PER_RECIPIENT: "100", OPENAI_TEMPERATURE: "3" });
    } catch (err) {
      message = String((err as Error).message);
    }
    for (const name of ["MARK_READ", "SEND_BURST_PER_RECIPIENT", "OPENAI_TEMPERATURE"])
      expect(message).toContain(name);
  });
});
