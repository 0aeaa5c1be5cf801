import { type OutboundResultData, redisSendLedgerKey as sendLedgerKey } from "@flank/shared/contract";
import { type RedisClient, RedisScript } from "@flank/shared/redis";
import type { Claim, SendLedger } from "./send-ledger.js";

// decideClaim (send-ledger.ts) in Lua, on Redis's clock, so claim-then-set is one atomic step.
const CLAIM = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = ARGV[1]
local lease = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
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

const DEFER = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rec = '{"state":"waiting","attempts":' .. ARGV[1] .. ',"notBefore":' .. string.format('%d', now + tonumber(ARGV[2])) .. '}'
redis.call('SET', KEYS[1], rec, 'PX', tonumber(ARGV[3]))
return 1
`);

/** The send ledger in Redis, shared by every sender instance. */
export class RedisSendLedger implements SendLedger {
  constructor(
    private readonly client: RedisClient,
    private readonly ttlMs: number,
  ) {}

  async claim(key: string, owner: string, leaseMs: number): Promise<Claim> {
    const [kind, value] = await CLAIM.run<[string, string]>(
      this.client,
      [sendLedgerKey(key)],
      [owner, Math.round(leaseMs), this.ttlMs],
    );
    if (kind === "done")
      return { kind, result: (JSON.parse(value) as { result: OutboundResultData }).result };
    if (kind === "busy" || kind === "early") return { kind, retryInMs: Number(value) };
    return { kind: "claimed", attempts: Number(value) };
  }

  async defer(key: string, attempts: number, delayMs: number): Promise<void> {
    await DEFER.run(
      this.client,
      [sendLedgerKey(key)],
      [attempts, Math.max(0, Math.round(delayMs)), this.ttlMs],
    );
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
