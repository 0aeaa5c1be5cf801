import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";
import type { z } from "zod";
import { FlankError } from "../errors.js";
import { isoTime } from "../iso-time.js";
import { TOPICS } from "./names.js";
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
    ts: isoTime(Date.now()),
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

const TOPIC_NAMES: ReadonlySet<string> = new Set(TOPICS);
const ENVELOPE_STRINGS = ["id", "type", "ts", "tenant", "conversationId"] as const;

/** What is wrong with an event's envelope, or undefined when it is whole. */
function envelopeIssue(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "(root): not an object";
  const e = value as Record<string, unknown>;
  for (const field of ENVELOPE_STRINGS)
    if (typeof e[field] !== "string") return `${field}: missing or not a string`;
  if (!TOPIC_NAMES.has(e.type as string)) return `type: unknown event type ${String(e.type)}`;
  if (!Number.isInteger(e.v) || (e.v as number) < 1) return "v: not a schema version";
  if (typeof e.data !== "object" || e.data === null) return "data: missing";
  return undefined;
}

/**
 * Parses an event received from the bus. Never throws: a bad payload is returned as an error.
 *
 * Only the envelope is checked: every event was validated in full where it entered the bus
 * (`assertEvent` on publish) and is stored as that validated value, so checking it again on each
 * of its consumers and taps repeated the same work (zod was 5-8 % of the router's and the
 * responder's CPU in the bench). A payload written to a stream by something else is still refused
 * when its envelope is wrong, and a handler given a malformed body fails and dead-letters it.
 */
export function decodeEvent(
  raw: string,
): { ok: true; event: FlankEvent } | { ok: false; error: string; value: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}`, value: raw };
  }
  const issue = envelopeIssue(value);
  return issue === undefined
    ? { ok: true, event: value as FlankEvent }
    : { ok: false, error: `invalid event: ${issue}`, value };
}
