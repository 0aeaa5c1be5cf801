import type { IncomingMessage } from "node:http";
import type { Bucket, TokenBuckets } from "@flank/shared/rate-limit";
import type { Context, MiddlewareHandler } from "hono";
import ipaddr from "ipaddr.js";
import type { Logger } from "pino";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";

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

/**
 * The bucket an address is counted in: an IPv4 address (IPv4-mapped IPv6 included) as it is, an
 * IPv6 address by its /64, the smallest block a subscriber gets: one host can pick any of the
 * 2^64 addresses of its own, so counting each apart would not limit it at all.
 */
export function addressBucketOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  let addr = ipaddr.parse(ip);
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
  if (addr instanceof ipaddr.IPv4) return addr.toString();
  const prefix = addr.parts.slice(0, 4).map((p) => p.toString(16));
  return `${prefix.join(":")}::/64`;
}

export interface LimitOptions {
  /** Only `take`: the API never blocks a bucket (that is the responder's answer to Meta). */
  limiter: Pick<TokenBuckets, "take">;
  /** Requests per minute (RATE_LIMIT_PER_IP, RATE_LIMIT_PER_KEY); 0 = no limit. */
  perMinute: number;
  log: Logger;
}

export interface AddressLimitOptions extends LimitOptions {
  /** Take the address from X-Forwarded-For (TRUST_PROXY). */
  trustProxy?: boolean;
}

/**
 * The limit per client address: mounted on the public API before the API-key check, so guessing
 * keys is limited too, and an address over its limit is refused before its key is looked at.
 * Never on the webhook: Meta's retries must always get through.
 */
export function limitByAddress(opts: AddressLimitOptions): MiddlewareHandler<GatewayEnv> {
  const taker = takeOrRefuse(opts);
  return async (c, next) => {
    if (opts.perMinute <= 0 || c.req.method === "OPTIONS") return next();
    const ip = addressBucketOf(clientIp(c, opts.trustProxy ?? false));
    return (await taker(c, perMinuteBucket(`ip:${ip}`, opts.perMinute))) ?? next();
  };
}

/**
 * The limit per API key: mounted after the API-key check, so only valid keys get a bucket (a
 * flood of random tokens cannot fill the limiter's store). Keys are bucketed by fingerprint,
 * never in clear.
 */
export function limitByKey(opts: LimitOptions): MiddlewareHandler<GatewayEnv> {
  const taker = takeOrRefuse(opts);
  return async (c, next) => {
    const keyId = c.get("apiKeyId");
    if (opts.perMinute <= 0 || keyId === undefined) return next();
    return (await taker(c, perMinuteBucket(`key:${keyId}`, opts.perMinute))) ?? next();
  };
}

/**
 * One take: a 429 with Retry-After when the bucket is empty, else undefined. When the limiter
 * itself fails (Redis down) requests pass: limits protect, they must not take the API down with them.
 */
function takeOrRefuse({ limiter, log }: Pick<LimitOptions, "limiter" | "log">) {
  let lastWarn = 0;
  return async (c: Context<GatewayEnv>, bucket: Bucket): Promise<Response | undefined> => {
    let wait = 0;
    try {
      wait = await limiter.take([bucket]);
    } catch (err) {
      if (Date.now() - lastWarn > 10_000) log.warn({ err }, "rate limiter unavailable; not limiting");
      lastWarn = Date.now();
    }
    if (wait <= 0) return undefined;
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    return c.json(
      errorBody(c, "rate_limited", `rate limit exceeded; retry in ${seconds} s`, {
        retryAfterSeconds: seconds,
      }),
      429,
      { "Retry-After": String(seconds) },
    );
  };
}
