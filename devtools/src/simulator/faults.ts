import { z } from "zod";

/** What the server answers to one request. */
export type GraphReply =
  | { kind: "ok" }
  /** A Meta error body with this code; HTTP status from Meta's usual mapping unless given. */
  | { kind: "error"; code: number; status?: number; message?: string; details?: string }
  /** Any status and body (e.g. a bare 502 from a proxy). */
  | { kind: "raw"; status: number; body?: unknown }
  | { kind: "delay"; ms: number; then?: GraphReply }
  /** Never answers: the client's timeout must fire. */
  | { kind: "hang" }
  /** 200 with a wamid, then a `failed` status webhook with this code (an asynchronous error). */
  | { kind: "accept-then-fail"; code: number };

const Code = z.number().int().min(0);
const Leaf = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ok") }),
  z.object({
    kind: z.literal("error"),
    code: Code,
    status: z.number().int().min(100).max(599).optional(),
    message: z.string().optional(),
    details: z.string().optional(),
  }),
  z.object({
    kind: z.literal("raw"),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
  }),
  z.object({ kind: z.literal("hang") }),
  z.object({ kind: z.literal("accept-then-fail"), code: Code }),
]);
export const GraphReplySchema: z.ZodType<GraphReply> = z.union([
  Leaf,
  // biome-ignore lint/suspicious/noThenProperty: GraphReply's `then` is the scripting API tests already use
  z.object({ kind: z.literal("delay"), ms: z.number().int().min(0).max(600_000), then: Leaf.optional() }),
]);

/** Faults that stay on until cleared: slow answers and a share of failures (benchmarks, chaos). */
export interface FaultSettings {
  /** Added before every Graph API answer. */
  latencyMs: number;
  /** Share of send requests, 0–1, answered with `failCode` instead. */
  failRate: number;
  /** Default 131000 (Meta's "something went wrong", HTTP 500). */
  failCode: number;
}

export const NO_FAULTS: FaultSettings = { latencyMs: 0, failRate: 0, failCode: 131000 };

/**
 * Body of `POST /__sim/faults`: `replies` are queued for the next requests (for one recipient when
 * `to` is given, repeated `times`), the other fields change the standing settings.
 */
export const FaultRequest = z
  .object({
    replies: z.array(GraphReplySchema).optional(),
    to: z.string().min(1).optional(),
    times: z.number().int().min(1).max(10_000).default(1),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    failRate: z.number().min(0).max(1).optional(),
    failCode: Code.optional(),
  })
  .strict();
export type FaultRequest = z.infer<typeof FaultRequest>;

/** The standing settings after a fault request. Pure. */
export function applyFaultSettings(current: FaultSettings, req: FaultRequest): FaultSettings {
  return {
    latencyMs: req.latencyMs ?? current.latencyMs,
    failRate: req.failRate ?? current.failRate,
    failCode: req.failCode ?? current.failCode,
  };
}

/** The failure the standing settings give one send request, or undefined to carry on. Pure. */
export function standingFailure(
  settings: FaultSettings,
  isSend: boolean,
  random: () => number,
): GraphReply | undefined {
  return isSend && settings.failRate > 0 && random() < settings.failRate
    ? { kind: "error", code: settings.failCode }
    : undefined;
}

/** Adds the standing latency in front of a reply (a hang stays a hang). Pure. */
export function withLatency(settings: FaultSettings, reply: GraphReply): GraphReply {
  if (settings.latencyMs <= 0 || reply.kind === "hang") return reply;
  if (reply.kind === "delay") return { ...reply, ms: reply.ms + settings.latencyMs };
  // biome-ignore lint/suspicious/noThenProperty: GraphReply's `then` is the scripting API tests already use
  return { kind: "delay", ms: settings.latencyMs, then: reply };
}
