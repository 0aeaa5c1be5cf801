import { IntegrationConflict, IntegrationInvalid, WIRE_FIELD } from "@flank/shared/integrations";
import type { Context } from "hono";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";

/** `phoneNumberId.x` → `phone_number_id.x`: errors name the fields as the client sent them. */
const wirePath = (path: string): string => {
  const [head = "", ...rest] = path.split(".");
  return [WIRE_FIELD[head] ?? head, ...rest].join(".");
};

/**
 * The integration service's expected failures as answers (400 naming the fields, 409 naming the
 * one taken, with the codes of errors.ts's table); anything else is rethrown for the app's error
 * handler.
 */
export function integrationFailure(c: Context<GatewayEnv>, err: unknown): Response {
  if (err instanceof IntegrationConflict) {
    const field = wirePath(err.field);
    return c.json(
      errorBody(c, "conflict", `${field} is already used by another integration`, { field }),
      409,
    );
  }
  if (err instanceof IntegrationInvalid) {
    const issues = err.problems.map((p) => ({ path: wirePath(p.path), message: p.message }));
    return c.json(
      errorBody(
        c,
        "validation_failed",
        `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
        issues,
      ),
      400,
    );
  }
  throw err;
}
