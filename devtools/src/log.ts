import { createLogger } from "@flank/shared/log";
import type { Logger } from "pino";

/** A logger whose lines are kept, parsed, for tests that assert on what was logged. */
export function captureLog(level = "info"): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}
