/**
 * Base for expected failures: carries a name, context for the log line, the cause, and whether a
 * retry may help, so consumers can ack, retry or dead-letter from that flag.
 */
export class FlankError extends Error {
  readonly context: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(
    name: string,
    message: string,
    opts: { context?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = name;
    this.context = opts.context ?? {};
    this.retryable = opts.retryable ?? false;
  }
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
