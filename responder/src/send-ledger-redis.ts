import { type OutboundResultData, redisSendLedgerKey as sendLedgerKey } from "@flank/shared/contract";
import { type RedisClient, type RedisClock, RedisScript } from "@flank/shared/redis";
import type { Claim, LedgerRecord, SendLedger } from "./send-ledger.js";

// decideClaim (send-ledger.ts) in Lua, so read-decide-write is one atomic step. Run only when the
// key already holds a record (a redelivery, a retry, a lapsed lease): a new key is claimed by
// claim()'s SET NX alone. ARGV: now (Redis's clock as RedisClock estimates it,
// shared/src/redis/clock.ts), owner, lease ms, ttl ms.
const CLAIM = new RedisScript(`
local now = tonumber(ARGV[1])
local owner = ARGV[2]
local lease = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local attempts = 0
local raw = redis.call('GET', KEYS[1])
if raw then
  local r = cjson.decode(raw)
  if r.state == 'done' then return {'done', raw} end
  if r.state == 'sending' and r.leaseUntil > now and r.owner ~= owner then
    return {'busy', tostring(r.leaseUntil - now)}
  end
  if r.state == 'waiting' and r.notBefore > now then return {'early', tostring(r.notBefore - now)} end
  attempts = r.attempts
end
local rec = '{"state":"sending","attempts":' .. string.format('%d', attempts) .. ',"owner":' .. cjson.encode(owner) ..
  ',"leaseUntil":' .. string.format('%d', now + lease) .. '}'
redis.call('SET', KEYS[1], rec, 'PX', ttl)
return {'claimed', tostring(attempts)}
`);

/**
 * The send ledger in Redis, shared by every sender instance. Times (leases, retries) are on Redis's
 * clock as `clock` estimates it, so instances with skewed clocks agree on them.
 *
 * Commands: a claim of a new key (every message's first send) is one SET NX GET; a claim of a
 * key with a record adds the CLAIM script (EVALSHA + GET, + SET when claimed); defer and finish
 * are one SET each.
 */
export class RedisSendLedger implements SendLedger {
  constructor(
    private readonly client: RedisClient,
    private readonly clock: RedisClock,
    private readonly ttlMs: number,
  ) {}

  async claim(key: string, owner: string, leaseMs: number): Promise<Claim> {
    const now = await this.clock.now();
    const lease = Math.round(leaseMs);
    const redisKey = sendLedgerKey(key);
    // The common case in one command: claim the key if absent (attempts 0, as decideClaim would),
    // else read what is there without writing (Redis >= 7.0 takes NX with GET).
    const record: LedgerRecord = { state: "sending", attempts: 0, owner, leaseUntil: now + lease };
    const previous = await this.client.sendCommand<string | null>([
      "SET",
      redisKey,
      JSON.stringify(record),
      "NX",
      "PX",
      String(this.ttlMs),
      "GET",
    ]);
    if (previous === null) return { kind: "claimed", attempts: 0 };
    // A record exists: decide in Lua on what the key holds now, which may have changed since.
    const [kind, value] = await CLAIM.run<[string, string]>(
      this.client,
      [redisKey],
      [now, owner, lease, this.ttlMs],
    );
    if (kind === "done")
      return { kind, result: (JSON.parse(value) as { result: OutboundResultData }).result };
    if (kind === "busy" || kind === "early") return { kind, retryInMs: Number(value) };
    return { kind: "claimed", attempts: Number(value) };
  }

  // A plain SET: with `now` from the clock there is nothing left for a script to do atomically.
  async defer(key: string, attempts: number, delayMs: number): Promise<void> {
    const notBefore = (await this.clock.now()) + Math.max(0, Math.round(delayMs));
    const record: LedgerRecord = { state: "waiting", attempts, notBefore };
    await this.client.sendCommand([
      "SET",
      sendLedgerKey(key),
      JSON.stringify(record),
      "PX",
      String(this.ttlMs),
    ]);
  }

  async finish(key: string, result: OutboundResultData): Promise<void> {
    await this.client.sendCommand([
      "SET",
      sendLedgerKey(key),
      JSON.stringify({ state: "done", result }),
      "PX",
      String(this.ttlMs),
    ]);
  }
}
