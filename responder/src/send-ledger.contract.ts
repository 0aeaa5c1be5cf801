import { newId, type OutboundResultData } from "@flank/shared/contract";
import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import type { SendLedger } from "./send-ledger.js";

const result = (key: string): OutboundResultData => ({
  idempotencyKey: key,
  status: "sent",
  wamid: "wamid.1",
  attempts: 1,
  final: true,
});

export function sendLedgerContract(name: string, make: () => SendLedger): void {
  describe(`SendLedger contract: ${name}`, () => {
    it("claims a new key once; a second sender is told it is busy", async () => {
      const ledger = make();
      const key = newId();
      expect(await ledger.claim(key, "a", 60_000)).toEqual({ kind: "claimed", attempts: 0 });
      const other = await ledger.claim(key, "b", 60_000);
      expect(other.kind).toBe("busy");
      expect(other.kind === "busy" && other.retryInMs).toBeGreaterThan(50_000);
    });

    it("returns the recorded result after finish", async () => {
      const ledger = make();
      const key = newId();
      await ledger.claim(key, "a", 60_000);
      await ledger.finish(key, result(key));
      expect(await ledger.claim(key, "b", 60_000)).toEqual({ kind: "done", result: result(key) });
    });

    it("a lapsed lease (crashed sender) can be claimed again", async () => {
      const ledger = make();
      const key = newId();
      await ledger.claim(key, "a", 30);
      await waitFor(async () => (await ledger.claim(key, "b", 60_000)).kind === "claimed", {
        timeoutMs: 2000,
      });
    });

    it("defer keeps the attempts and hides the key until the retry is due", async () => {
      const ledger = make();
      const key = newId();
      await ledger.claim(key, "a", 60_000);
      await ledger.defer(key, 2, 60_000);
      const early = await ledger.claim(key, "b", 60_000);
      expect(early.kind).toBe("early");
      await ledger.defer(key, 3, 0);
      expect(await ledger.claim(key, "b", 60_000)).toEqual({ kind: "claimed", attempts: 3 });
    });
  });
}
