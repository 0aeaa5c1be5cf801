import type { Logger } from "pino";
import type { RedisClientType } from "redis";

export type RedisClient = RedisClientType;

/**
 * A connected node-redis client. Commands fail at once while disconnected (no offline queue), so
 * callers see an unavailable Redis as an error (the gateway answers 503) instead of hanging.
 */
export async function connectRedis(url: string, log: Logger, name = "flank"): Promise<RedisClient> {
  // Loaded only here, like the NATS and Mongo drivers: node-redis costs about 20 MB of resident
  // memory at import, which a process without Redis (the gateway on the memory bus or NATS)
  // should not carry.
  const { createClient } = await import("redis");
  const client = createClient({
    url,
    name,
    disableOfflineQueue: true,
    // node-redis 6 arms an AbortSignal timer per command by default (5 s); on a pipelined hot path
    // that costs about 3x the throughput of v5. Calls that need a bound set their own.
    commandOptions: { timeout: 0 },
    socket: {
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      connectTimeout: 5000,
    },
  }) as RedisClient;
  attachErrorLog(client, log);
  await client.connect();
  return client;
}

/** node-redis emits 'error' on every failed reconnect; without a listener the process would crash. */
export function attachErrorLog(client: RedisClient, log: Logger): void {
  let last = 0;
  client.on("error", (err: Error) => {
    if (Date.now() - last > 5000) log.warn({ err: err.message }, "redis connection error");
    last = Date.now();
  });
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
