import { createMemoryBus, waitInPlace } from "@flank/shared/bus";
import { createEvent, type StatusValue } from "@flank/shared/contract";
import { createMemoryStores, type StoredMessage } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { describe, expect, it } from "vitest";
import { startStatusWriter, statusHandler } from "./status-writer.js";
import { PNID, silentLog } from "./test-harness.js";

const USER = "16505551234";

const outbound = (id: string, wamid?: string): StoredMessage => ({
  id,
  wamid,
  conversationId: `${PNID}:${USER}`,
  tenant: PNID,
  direction: "outbound",
  from: PNID,
  to: USER,
  type: "text",
  body: "hello",
  timestamp: "2026-01-01T00:00:00.000Z",
  status: "queued",
  statuses: [],
  raw: {},
});

const statusEvent = (wamid: string, status: StatusValue, second: number) =>
  createEvent({
    type: "inbound.status",
    tenant: PNID,
    conversationId: `${PNID}:${USER}`,
    data: {
      wamid,
      phoneNumberId: PNID,
      status,
      recipientId: USER,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
      ...(status === "read" ? { pricing: { billable: true, pricingModel: "PMP", category: "service" } } : {}),
      raw: {},
    },
  });

function setup() {
  const log = silentLog();
  const bus = createMemoryBus(log, {
    partitions: 2,
    claimTimeoutMs: 1000,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
  });
  const stores = createMemoryStores();
  return { log, bus, stores };
}

describe("status writer", () => {
  it("records statuses on the stored message; a delivered after read does not move the status back", async () => {
    const { log, bus, stores } = setup();
    await stores.messages.insert(outbound("key-1", "wamid.OUT"));
    const writer = await startStatusWriter({ bus, stores, log });
    try {
      await bus.publish([
        statusEvent("wamid.OUT", "sent", 1),
        statusEvent("wamid.OUT", "read", 3),
        statusEvent("wamid.OUT", "delivered", 2),
      ]);
      await waitFor(async () => ((await stores.messages.get("key-1"))?.statuses.length ?? 0) === 3);
      const stored = await stores.messages.get("key-1");
      expect(stored?.status).toBe("read");
      expect(stored?.statuses.map((s) => s.status)).toEqual(["sent", "read", "delivered"]);
      expect(stored?.statuses[1]).toMatchObject({
        timestamp: "2026-01-01T00:00:03.000Z",
        pricing: { pricingModel: "PMP" },
      });
    } finally {
      await writer.stop();
      await writer.stop(); // idempotent
      await bus.close();
    }
  });

  it("keeps a status name Meta added later in the history without moving the status", async () => {
    const { log, bus, stores } = setup();
    await stores.messages.insert(outbound("key-u", "wamid.U"));
    const writer = await startStatusWriter({ bus, stores, log });
    try {
      const unknown = statusEvent("wamid.U", "unknown", 4);
      await bus.publish([
        statusEvent("wamid.U", "delivered", 2),
        { ...unknown, data: { ...unknown.data, statusName: "archived" } },
      ]);
      await waitFor(async () => ((await stores.messages.get("key-u"))?.statuses.length ?? 0) === 2);
      const stored = await stores.messages.get("key-u");
      expect(stored?.status).toBe("delivered");
      expect(stored?.statuses[1]).toMatchObject({ status: "unknown", statusName: "archived" });
    } finally {
      await writer.stop();
      await bus.close();
    }
  });

  it("retries a status that beats the sender's setWamid, then applies it", async () => {
    const { log, bus, stores } = setup();
    await stores.messages.insert(outbound("key-2"));
    const writer = await startStatusWriter({ bus, stores, log }, { unknownAttempts: 20 });
    try {
      let attempts = 0;
      const addStatus = stores.messages.addStatus.bind(stores.messages);
      stores.messages.addStatus = async (wamid, entry) => {
        attempts++;
        return addStatus(wamid, entry);
      };
      await bus.publish(statusEvent("wamid.LATE", "delivered", 1));
      await waitFor(() => attempts >= 2, { what: "a retry of the unknown wamid" });
      await stores.messages.setWamid("key-2", "wamid.LATE");
      await waitFor(async () => (await stores.messages.get("key-2"))?.status === "delivered");
    } finally {
      await writer.stop();
      await bus.close();
    }
  });

  it("drops a status for a message Flank never stored after its retries, without dead-lettering", async () => {
    const { log, stores } = setup();
    const handle = statusHandler(stores, log, 3);
    const event = statusEvent("wamid.FOREIGN", "sent", 1);
    const ctx = {
      topic: "inbound.status" as const,
      group: "status-writer",
      queued: () => [],
      absorb: () => {},
      wait: waitInPlace,
    };
    await expect(handle(event, { ...ctx, attempt: 1 })).rejects.toMatchObject({ retryable: true });
    await expect(handle(event, { ...ctx, attempt: 3 })).resolves.toBeUndefined();
  });
});
