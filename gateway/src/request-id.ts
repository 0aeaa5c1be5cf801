import { newId } from "@flank/shared/contract";
import type { MiddlewareHandler } from "hono";
import type { GatewayEnv } from "./deps.js";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What a caller's own request id may be (Hono's requestId middleware's rule). */
const SANE = /^[\w\-=]{1,255}$/;

/** The caller's X-Request-Id when it is sane, else a new one. */
export const requestIdOf = (given: string | undefined): string =>
  given !== undefined && SANE.test(given) ? given : newId();

/** Sets the request id (`c.get("requestId")`) and answers with it. */
export const requestIds = (): MiddlewareHandler<GatewayEnv> => async (c, next) => {
  const id = requestIdOf(c.req.header(REQUEST_ID_HEADER));
  c.set("requestId", id);
  c.header(REQUEST_ID_HEADER, id);
  await next();
};
