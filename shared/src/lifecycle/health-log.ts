import type { Logger } from "pino";

export interface PartHealth {
  ok: boolean;
  detail?: string;
}

/** Reports the health of a part (bus, stores…): logged only when it changes. */
export type HealthLog = (part: string, health: PartHealth) => void;

/**
 * An outage is logged once, with its detail, when it starts, and once when it ends, however often
 * the health is checked (readiness probes every few seconds, the service's own watch).
 */
export function createHealthLog(log: Logger): HealthLog {
  const failing = new Set<string>();
  return (part, { ok, detail }) => {
    if (!ok && !failing.has(part)) {
      failing.add(part);
      log.warn({ part, detail }, `${part} unavailable; retrying`);
    } else if (ok && failing.delete(part)) {
      log.info({ part }, `${part} available again`);
    }
  };
}
