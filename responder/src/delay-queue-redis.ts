import { REDIS_DELAYED_OUTBOUND_KEY as DELAYED_KEY, type RedisClient, RedisScript } from "@flank/shared";
import type { DelayQueue } from "./delay-queue.js";

const SCHEDULE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
return 1
`);

// Take due entries and push their score past the lease in one step, so two instances never
// take the same entry and a crashed taker's entries come back.
const DUE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, item in ipairs(items) do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), item) end
return items
`);

/** A sorted set scored by due time, shared by every sender instance. */
export class RedisDelayQueue implements DelayQueue {
  constructor(
    private readonly client: RedisClient,
    private readonly key = DELAYED_KEY,
  ) {}

  async schedule(raw: string, delayMs: number): Promise<void> {
    await SCHEDULE.run(this.client, [this.key], [Math.max(0, Math.round(delayMs)), raw]);
  }

  async due(max: number, leaseMs: number): Promise<string[]> {
    return DUE.run<string[]>(this.client, [this.key], [max, Math.round(leaseMs)]);
  }

  async ack(raw: string): Promise<void> {
    await this.client.sendCommand(["ZREM", this.key, raw]);
  }
}
