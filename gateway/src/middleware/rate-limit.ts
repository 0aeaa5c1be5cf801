import type { IncomingMessage } from "node:http";
import type { Bucket, TokenBuckets } from "@flank/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";
import { bearerToken, keyFingerprint } from "./api-keys.js";

/** A limit of `perMinute` requests a minute, allowing a minute's worth at once. */
export const perMinuteBucket = (key: string, perMinute: number): Bucket => ({
  key,
  ratePerSec: perMinute / 60,
  burst: perMinute,
});

/**
 * The client's address: the socket's, or behind a trusted reverse proxy the last hop of
 * X-Forwarded-For (the address our proxy saw; earlier hops are whatever the client claimed).
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = (c.req.header("x-forwarded-for") ?? "").split(",").map((s) => s.trim());
    const last = hops.at(-1);
    if (last) return last;
  }
  const incoming = (c.env as { incoming?: Pick<IncomingMessage, "socket"> } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "unknown";
}

export interface RateLimitOptions {
  /** Only `take`: the API never blocks a bucket (that is the responder's answer to Meta). */
  limiter: Pick<TokenBuckets, "take">;
  /** Requests per minute per API key (RATE_LIMIT_PER_KEY); 0 = no per-key limit. */
  perKeyPerMinute: number;
  /** Requests per minute per client IP (RATE_LIMIT_PER_IP); 0 = no per-IP limit. */
  perIpPerMinute: number;
  trustProxy?: boolean;
  log: Logger;
}

/**
 * 429 with Retry-After once a key or an address is over its limit. Mount it on the public API
 * only (never the webhook: Meta's retries must always get through), before the API-key check so
 * guessing keys is limited per address too. Keys are bucketed by fingerprint, never in clear.
 * When the limiter itself fails (Redis down) requests pass: limits protect, they must not take
 * the API down with them.
 */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler<GatewayEnv> {
  const { limiter, perKeyPerMinute, perIpPerMinute, log } = opts;
  let lastWarn = 0;
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    const buckets: Bucket[] = [];
    if (perIpPerMinute > 0)
      buckets.push(perMinuteBucket(`ip:${clientIp(c, opts.trustProxy ?? false)}`, perIpPerMinute));
    const token = bearerToken(c);
    if (token && perKeyPerMinute > 0)
      buckets.push(perMinuteBucket(`key:${keyFingerprint(token)}`, perKeyPerMinute));
    if (buckets.length === 0) return next();

    let wait = 0;
    try {
      wait = await limiter.take(buckets);
    } catch (err) {
      if (Date.now() - lastWarn > 10_000) log.warn({ err }, "rate limiter unavailable; not limiting");
      lastWarn = Date.now();
    }
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      return c.json(
        errorBody(c, "rate_limited", `rate limit exceeded; retry in ${seconds} s`, {
          retryAfterSeconds: seconds,
        }),
        429,
        { "Retry-After": String(seconds) },
      );
    }
    await next();
  };
}
