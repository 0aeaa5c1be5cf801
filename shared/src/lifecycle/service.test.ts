import { waitFor } from "@flank/testing";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createBus } from "../bus/factory.js";
import { parseConfig } from "../config/load.js";
import { createLogger } from "../log/logger.js";
import { createStores } from "../store/factory.js";
import { createMemoryStores } from "../store/memory.js";
import { createHealthLog } from "./health-log.js";
import { waitHealthy, watchHealth } from "./service.js";

const log = pino({ level: "silent" });

describe("service wiring", () => {
  it("builds the configured bus and stores and waits until they answer", async () => {
    const config = parseConfig({});
    const bus = await createBus(config, log);
    const stores = await createStores(config, log);
    await waitHealthy({ bus, stores, log }, 1000);
    expect(await bus.health()).toMatchObject({ ok: true, backend: "memory" });
    expect(await stores.health()).toMatchObject({ ok: true, backend: "memory" });
    await bus.close();
  });

  it("waitHealthy names what is not ready when the deadline passes", async () => {
    const bus = await createBus(parseConfig({}), log);
    const stores = createMemoryStores();
    stores.health = async () => ({ ok: false, backend: "mongo", detail: "no primary" });
    await expect(waitHealthy({ bus, stores, log }, 50)).rejects.toThrow(/no primary/);
    await bus.close();
  });
});

describe("health watch", () => {
  it("logs an outage once when it starts and once when it ends, however often it checks", async () => {
    const lines: Record<string, unknown>[] = [];
    const captured = createLogger({
      level: "info",
      destination: { write: (l: string) => void lines.push(JSON.parse(l)) },
    });
    const bus = await createBus(parseConfig({}), log);
    const stores = createMemoryStores();
    let down = false;
    let checks = 0;
    stores.health = async () => {
      checks++;
      return down ? { ok: false, backend: "mongo", detail: "no primary" } : { ok: true, backend: "mongo" };
    };
    const watch = watchHealth({ bus, stores, log: captured, healthLog: createHealthLog(captured) }, 5);
    down = true;
    await waitFor(() => lines.some((l) => l.msg === "stores unavailable; retrying"));
    const seen = checks;
    await waitFor(() => checks >= seen + 10, { what: "more checks while it is down" });
    down = false;
    await waitFor(() => lines.some((l) => l.msg === "stores available again"));
    await watch.stop();
    expect(lines.map((l) => [l.msg, l.detail])).toEqual([
      ["stores unavailable; retrying", "no primary"],
      ["stores available again", undefined],
    ]);
    await bus.close();
  });
});

describe("heartbeat", () => {
  it("touches the file while the bus and stores answer, and stops touching it when they do not", async () => {
    const { mkdtempSync, statSync, existsSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "flank-hb-")), "beat");
    const bus = await createBus(parseConfig({}), log);
    const stores = createMemoryStores();
    // Each check reports the stores' health: the test follows the checks, not the clock.
    const down: number[] = [];
    const healthLog = (part: string, health: { ok: boolean }) => {
      if (part === "stores" && !health.ok) down.push(statSync(file).mtimeMs);
    };
    const hb = watchHealth({ bus, stores, log, healthLog, file }, 20);
    await waitFor(() => existsSync(file), { what: "heartbeat file" });
    const first = statSync(file).mtimeMs;
    await waitFor(() => statSync(file).mtimeMs > first, { what: "a newer heartbeat" });
    stores.health = async () => ({ ok: false, backend: "memory", detail: "down" });
    // Checks that found the stores down touch nothing (the first may overlap a last healthy one).
    await waitFor(() => down.length >= 4, { what: "checks while down" });
    expect(new Set(down.slice(1)).size).toBe(1);
    expect(statSync(file).mtimeMs).toBe(down[1]);
    await hb.stop();
    await bus.close();
  });
});
