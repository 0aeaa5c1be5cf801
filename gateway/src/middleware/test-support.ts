// Helpers for the tests of the security pieces only (not exported from index.ts).
import { newId } from "@flank/shared/contract";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { pino } from "pino";
import type { GatewayEnv } from "../deps.js";
import { notFound, onError } from "../errors.js";

export const silent = pino({ level: "silent" });

/** An app with the gateway's request id and error handling, to mount one piece on. */
export function baseApp(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use(requestId({ generator: () => newId() }));
  app.onError(onError(silent));
  app.notFound(notFound);
  return app;
}

/** The bindings @hono/node-server passes, as far as clientIp reads them. */
export const fromIp = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
