import { FlankError } from "@flank/shared/errors";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import type { z } from "zod";
import type { GatewayEnv } from "./deps.js";

/** Every error the API answers with, and its HTTP status. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  signature_missing: 401,
  forbidden: 403,
  signature_invalid: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  send_failed: 502,
  graph_error: 502,
  bus_unavailable: 503,
  overloaded: 503,
  not_ready: 503,
  not_configured: 503,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** An expected API failure: answered with its code's status and a JSON body, never logged as a crash. */
export class ApiError extends FlankError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    cause?: unknown,
  ) {
    super("ApiError", message, { retryable: ERROR_STATUS[code] >= 500, cause, context: { code } });
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/** A zod error as a 400 naming each bad field. */
export function validationError(error: z.ZodError, where = "body"): ApiError {
  const issues: FieldIssue[] = error.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(root)",
    message: i.message,
  }));
  return new ApiError(
    "validation_failed",
    `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    issues,
  );
}

/** An error answer's JSON. */
export function errorJson(requestId: string, code: ErrorCode | string, message: string, details?: unknown) {
  return {
    error: details === undefined ? { code, message } : { code, message, details },
    requestId,
  };
}

export function errorBody(
  c: Context<GatewayEnv>,
  code: ErrorCode | string,
  message: string,
  details?: unknown,
) {
  return errorJson(c.get("requestId"), code, message, details);
}

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ReturnType<typeof errorJson>;
  /** Retry-After, when the error says when to retry (`details.retryAfterSeconds`). */
  retryAfter?: string;
  /** Not an expected failure: a 500 the caller logs as a crash. */
  unexpected: boolean;
}

/** How an error is answered, by Hono's onError. */
export function errorAnswer(err: unknown, requestId: string): ErrorAnswer {
  const answer = (status: ContentfulStatusCode, code: string, message: string, details?: unknown) => ({
    status,
    body: errorJson(requestId, code, message, details),
    unexpected: false,
  });
  if (err instanceof ApiError) {
    const after = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    const answered = answer(ERROR_STATUS[err.code], err.code, err.message, err.details);
    return typeof after === "number" ? { ...answered, retryAfter: String(after) } : answered;
  }
  if (err instanceof FlankError && err.name === "InvalidStoreInput") {
    // A bad cursor or limit that got past validation: the client's input, not a crash.
    return answer(400, "bad_request", err.message);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return answer(status, status === 413 ? "payload_too_large" : "bad_request", err.message);
  }
  return { ...answer(500, "internal", "internal error"), unexpected: true };
}

/** errorAnswer, logging an unexpected error as the crash it is. */
export function answerError(err: unknown, requestId: string, log: Logger, path: string): ErrorAnswer {
  const answer = errorAnswer(err, requestId);
  if (answer.unexpected) log.error({ err, requestId, path }, "unhandled error");
  return answer;
}

export const onError =
  (log: Logger): ErrorHandler<GatewayEnv> =>
  (err, c) => {
    const { status, body, retryAfter } = answerError(err, c.get("requestId"), log, c.req.path);
    return c.json(body, status, retryAfter ? { "Retry-After": retryAfter } : {});
  };

export const notFound: NotFoundHandler<GatewayEnv> = (c) =>
  c.json(errorBody(c, "not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
