import type { Env, Handler, Hono } from "hono";
import { ROUTE_TABLE } from "./openapi.js";
import type { Op } from "./openapi-op.js";

/** `/v1/messages/{id}` → `/v1/messages/:id`. */
export const honoPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ":$1");

/**
 * The registrar of a sub-app mounted at `prefix`: `on(operationId, handler)` registers the handler
 * at the method and path the route table gives that operation, so a route exists only as a row
 * of the table (and so in /openapi.json). An id the table lacks, or a path outside the prefix,
 * throws when the app is built.
 */
/**
 * The path parameters the table's paths use, for the handlers' `c.req.param()` types: a new
 * parameter name goes here too.
 */
type TableParams = "/:id/:agentId";

export function opRegistrar<E extends Env>(table: readonly Op[], app: Hono<E>, prefix = "") {
  const byId = new Map(table.map((op) => [op.operationId, op]));
  return (operationId: string, handler: Handler<E, TableParams>): void => {
    const op = byId.get(operationId);
    if (!op) throw new Error(`operation ${operationId} is not in the route table (openapi.ts)`);
    const full = honoPath(op.path);
    if (full !== prefix && !full.startsWith(`${prefix}/`)) {
      throw new Error(`operation ${operationId} (${op.path}) is not under ${prefix}`);
    }
    app.on(op.method.toUpperCase(), full.slice(prefix.length) || "/", handler);
  };
}

/** opRegistrar over the gateway's route table. */
export const routeOn = <E extends Env>(app: Hono<E>, prefix = "") => opRegistrar(ROUTE_TABLE, app, prefix);
