import type { Logger } from "pino";
import type { RedisClientType } from "redis";
import { type ConnectOptions, connectWithin } from "../lifecycle/connect.js";

export type RedisClient = RedisClientType;

// Redis's clock estimated in the process (one TIME per 30 s instead of one per script run).
export { CLOCK_SYNC_MS, RedisClock, type TimeClient } from "./clock.js";

/**
 * A connected node-redis client. At start it tries for `opts.timeoutMs` (CONNECT_TIMEOUT_MS), then
 * fails with a ConnectError naming REDIS_URL (password masked); `opts.signal` stops it at once.
 * Once connected, a lost connection is retried with backoff for as long as it takes, logged once
 * when lost and once when back. Commands fail at once while disconnected (no offline queue), so
 * callers see an unavailable Redis as an error (the gateway answers 503) instead of hanging.
 */
export async function connectRedis(
  url: string,
  log: Logger,
  name = "flank",
  opts: ConnectOptions = {},
): Promise<RedisClient> {
  // Loaded only here, like the NATS and Mongo drivers: node-redis costs about 20 MB of resident
  // memory at import, which a process without Redis (the gateway on the memory bus or NATS)
  // should not carry.
  const { createClient } = await import("redis");
  return connectWithin(
    { service: "Redis", url, variable: "REDIS_URL" },
    async (signal, failed) => {
      let connected = false;
      const client = createClient({
        url,
        name,
        disableOfflineQueue: true,
        // node-redis 6 arms an AbortSignal timer per command by default (5 s); on a pipelined hot path
        // that costs about 3x the throughput of v5. Calls that need a bound set their own.
        commandOptions: { timeout: 0 },
        socket: {
          // Before the first connection: until the deadline or a signal (connect() then rejects
          // with the last error); after it: for as long as it takes.
          reconnectStrategy: (retries: number, cause: Error) =>
            // At most half a second between tries: after a Redis restart, work resumes within it.
            !connected && signal.aborted ? cause : Math.min(50 * 2 ** retries, 500),
          connectTimeout: 5000,
        },
      }) as RedisClient;
      attachErrorLog(client, log);
      client.on("error", (err: Error) => {
        if (!connected) failed(err);
      });
      const destroy = () => {
        if (client.isOpen) client.destroy();
      };
      signal.addEventListener("abort", destroy, { once: true });
      try {
        await client.connect();
        if (signal.aborted) throw new Error("connected after the deadline");
        connected = true;
        return client;
      } catch (err) {
        destroy();
        throw err;
      } finally {
        signal.removeEventListener("abort", destroy);
      }
    },
    opts,
  );
}

/**
 * node-redis emits 'error' on every failed reconnect; without a listener the process would crash.
 * Each client notes (at debug) when its connection is lost and back; the warning an operator sees
 * is the health watch's, once per outage (health-log.ts), not one per client and retry.
 */
export function attachErrorLog(client: RedisClient, log: Logger): void {
  let ready = false;
  let down = false;
  client.on("error", (err: Error) => {
    if (!ready || down) return;
    down = true;
    log.debug({ err: err.message }, "redis connection lost; reconnecting");
  });
  client.on("ready", () => {
    if (down) log.debug("redis connection back");
    ready = true;
    down = false;
  });
}

/**
 * Closes gracefully while connected; during an outage at once (a graceful close would wait for a
 * server that is not there, and Ctrl-C must stop within seconds).
 */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close();
  else client.destroy();
}

export async function duplicateConnected(client: RedisClient, log: Logger): Promise<RedisClient> {
  const dup = client.duplicate() as RedisClient;
  attachErrorLog(dup, log);
  await dup.connect();
  return dup;
}

/** A Lua script run by SHA, loaded on first use or after a server restart (NOSCRIPT). */
export class RedisScript {
  private sha: string | undefined;

  constructor(private readonly source: string) {}

  async run<T>(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    if (this.sha) {
      try {
        return await client.sendCommand<T>(evalsha(this.sha, keys, args));
      } catch (err) {
        if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
      }
    }
    this.sha = await client.sendCommand<string>(["SCRIPT", "LOAD", this.source]);
    return client.sendCommand<T>(evalsha(this.sha, keys, args));
  }
}

/** EVALSHA's arguments in one array (the hot path: every script call on every message). */
function evalsha(sha: string, keys: readonly string[], args: readonly (string | number)[]): string[] {
  const out = ["EVALSHA", sha, String(keys.length)];
  for (const key of keys) out.push(key);
  for (const arg of args) out.push(typeof arg === "string" ? arg : String(arg));
  return out;
}
