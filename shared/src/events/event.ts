import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";
import type { z } from "zod";
import { FlankError } from "../errors.js";
import { type EventData, type EventOf, FlankEvent } from "./schemas.js";

/**
 * Random bytes drawn from a pool refilled 4 KB at a time: the ulid package's default source calls
 * the kernel once per character, which showed in the ingest profile.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
const pooledRandom = (): number => {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return (pool[poolAt++] as number) / 256;
};
const ulid = monotonicFactory(pooledRandom);
export const newId = (): string => ulid();

/** Current schema version of every topic; bump a topic's version when its payload changes shape. */
export const EVENT_VERSION = 1;

export interface EventInit<T extends FlankEvent["type"]> {
  type: T;
  tenant: string;
  conversationId: string;
  data: EventData<T>;
}

/** Builds an event with a fresh ULID and timestamp. Validation happens on publish. */
export function createEvent<T extends FlankEvent["type"]>(init: EventInit<T>): EventOf<T> {
  return {
    id: newId(),
    type: init.type,
    v: EVENT_VERSION,
    ts: new Date().toISOString(),
    tenant: init.tenant,
    conversationId: init.conversationId,
    data: init.data,
  } as EventOf<T>;
}

export class InvalidEventError extends FlankError {
  constructor(message: string, context: Record<string, unknown>) {
    super("InvalidEventError", message, { context, retryable: false });
  }
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Validates an event; throws InvalidEventError naming every bad field. */
export function assertEvent(value: unknown): FlankEvent {
  const parsed = FlankEvent.safeParse(value);
  if (parsed.success) return parsed.data;
  const v = value as { id?: unknown; type?: unknown } | null;
  throw new InvalidEventError(
    `invalid ${String(v?.type ?? "event")} event: ${describeIssues(parsed.error)}`,
    {
      id: v?.id,
      type: v?.type,
    },
  );
}

/** Parses an event received from the bus. Never throws: a bad payload is returned as an error. */
export function decodeEvent(
  raw: string,
): { ok: true; event: FlankEvent } | { ok: false; error: string; value: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}`, value: raw };
  }
  const parsed = FlankEvent.safeParse(value);
  return parsed.success
    ? { ok: true, event: parsed.data }
    : { ok: false, error: `invalid event: ${describeIssues(parsed.error)}`, value };
}
