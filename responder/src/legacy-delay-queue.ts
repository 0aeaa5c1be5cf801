import type { Bus } from "@flank/shared/bus";
import { decodeEvent, REDIS_DELAYED_OUTBOUND_KEY } from "@flank/shared/contract";
import type { Logger } from "@flank/shared/log";
import type { RedisClient } from "@flank/shared/redis";

/**
 * Before retries waited in place (sender-worker.ts), a send waiting for a retry or for pacing was
 * parked in a Redis sorted set and re-published when due. At start, anything an older version
 * left there is published again, once, so an upgrade loses no reply; the set is then gone.
 */
export async function drainLegacyDelayQueue(redis: RedisClient, bus: Bus, log: Logger): Promise<number> {
  const entries = await redis.sendCommand<string[]>(["ZRANGE", REDIS_DELAYED_OUTBOUND_KEY, "0", "-1"]);
  for (const raw of entries) {
    const decoded = decodeEvent(raw);
    if (decoded.ok) await bus.publish(decoded.event);
    else log.error({ error: decoded.error }, "unreadable entry of the old delay queue dropped");
    await redis.sendCommand(["ZREM", REDIS_DELAYED_OUTBOUND_KEY, raw]);
  }
  if (entries.length > 0)
    log.info({ count: entries.length }, "requests left in the old delay queue re-published");
  return entries.length;
}
