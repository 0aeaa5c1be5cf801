import type { z } from "zod";
import { ErrorBody } from "./api-schemas.js";
import { ERROR_STATUS, type ErrorCode } from "./errors.js";

/** Who may call an operation: no key; a send/read (or admin) key; an admin key only; an agent key (or admin/api as documented). */
export type Auth = "public" | "api" | "admin" | "agent";

export interface OpResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Required on every 2xx answer with a body (routes/openapi.test.ts); error bodies get one from their code. */
  example?: unknown;
}

/**
 * One row of the route table (openapi.ts): it both registers the Hono route (mount-op.ts) and
 * documents the operation in /openapi.json.
 */
export interface Op {
  method: "get" | "post" | "patch" | "put" | "delete";
  /** OpenAPI style (`/v1/messages/{id}`); mount-op.ts turns `{id}` into Hono's `:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: z.ZodObject;
  pathParams?: string[];
  body?: z.ZodType;
  /** The body's media type: JSON unless given (e.g. `multipart/form-data` for an upload). */
  bodyType?: string;
  /** An example request body (required with `body`); it must parse with `body`. */
  example?: unknown;
  headers?: { name: string; description: string }[];
  responses: Record<number, OpResponse>;
}

/** An error answer: its example is an ErrorBody with `code` (by default the first code of that status). */
export const error = (description: string, code?: ErrorCode): OpResponse & { code?: ErrorCode } => ({
  description,
  schema: ErrorBody,
  ...(code ? { code } : {}),
});

/** The example of an error answer of `status`: the code given, or the first code of that status. */
export function errorExample(status: number, description: string, code?: ErrorCode) {
  const byStatus = Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0];
  return {
    error: { code: code ?? byStatus ?? "internal", message: description },
    requestId: "01JX3F8Q2V6K9T4N7C5B1M0ZAA",
  };
}

export const IDEMPOTENCY = {
  name: "Idempotency-Key",
  description: "optional; repeats return the first result",
};
