import type { z } from "zod";
import { ErrorBody } from "./api-schemas.js";

/** One documented operation of /openapi.json. */
export interface Op {
  method: "get" | "post" | "patch" | "put" | "delete";
  path: string;
  summary: string;
  tag: string;
  /** `true`: a send/read (or admin) key; `"admin"`: an admin key only; `"agent"`: any key, agent keys as their agent. */
  auth?: boolean | "admin" | "agent";
  query?: z.ZodObject;
  pathParams?: string[];
  body?: z.ZodType;
  /** A request body other than JSON (a file upload): OpenAPI content by media type. */
  upload?: Record<string, { schema: Record<string, unknown> }>;
  /** An example request body. */
  example?: unknown;
  headers?: { name: string; description: string }[];
  responses: Record<
    number,
    { description: string; schema?: z.ZodType; contentType?: string; example?: unknown }
  >;
}

export const error = (description: string) => ({ description, schema: ErrorBody });
export const IDEMPOTENCY = {
  name: "Idempotency-Key",
  description: "optional; repeats return the first result",
};
