import type { Env } from "@flank/shared/config";

/** What a command may touch of its process: injected, so tests run commands in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Env;
  cwd: string;
  /** Aborted on Ctrl-C / SIGTERM: long-running commands stop cleanly and return. */
  signal: AbortSignal;
}

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export class UsageError extends Error {
  override name = "UsageError";
}

/** Resolves when the signal is aborted. */
export const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
