import { redisAgentLoadKey, redisAgentSeenKey } from "../events/names.js";
import { type RedisClient, RedisScript } from "../redis/client.js";
import { type AgentPresence, type AgentStatus, byLoadThenId, type PresenceOptions } from "./presence.js";

// KEYS: seen ZSET (agent → last heartbeat ms), load HASH (agent → conversations).
// ARGV: min score, cap, "1" when the agents that follow are the only candidates, then those agents.
const CLAIM = new RedisScript(`
local agents = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local cap = tonumber(ARGV[2])
local only = nil
if ARGV[3] == '1' then
  only = {}
  for i = 4, #ARGV do only[ARGV[i]] = true end
end
local best, bestLoad
for _, a in ipairs(agents) do
  local l = tonumber(redis.call('HGET', KEYS[2], a) or '0')
  if (only == nil or only[a]) and (cap == 0 or l < cap) and (best == nil or l < bestLoad or (l == bestLoad and a < best)) then
    best = a
    bestLoad = l
  end
end
if best then redis.call('HINCRBY', KEYS[2], best, 1) end
return best
`);

const ADD_LOAD = new RedisScript(`
local v = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if v < 0 then
  redis.call('HSET', KEYS[1], ARGV[1], 0)
  v = 0
end
return v
`);

/**
 * Presence in Redis: a ZSET of agentId → last heartbeat (ms) and a HASH of loads. The client is
 * the caller's; `close()` leaves it open.
 */
export function createRedisAgentPresence(
  client: RedisClient,
  opts: PresenceOptions & { keyPrefix?: string },
): AgentPresence {
  const clock = opts.clock ?? Date.now;
  const seenKey = redisAgentSeenKey(opts.keyPrefix);
  const loadKey = redisAgentLoadKey(opts.keyPrefix);
  const status = async (agentId: string): Promise<AgentStatus> => {
    const [score, load] = await Promise.all([client.zScore(seenKey, agentId), client.hGet(loadKey, agentId)]);
    const lastSeen = score ?? 0;
    return { agentId, lastSeen, load: Number(load ?? 0), online: lastSeen > clock() - opts.ttlMs };
  };
  return {
    async heartbeat(agentId) {
      const now = clock();
      await client
        .multi()
        .zAdd(seenKey, { score: now, value: agentId })
        // Forget agents silent for long; their loads stay until their chats are released.
        .zRemRangeByScore(seenKey, "-inf", now - opts.ttlMs * 100)
        .exec();
      return status(agentId);
    },
    async offline(agentId) {
      await client.zRem(seenKey, agentId);
    },
    status,
    async online() {
      const ids = await client.zRangeByScore(seenKey, `(${clock() - opts.ttlMs}`, "+inf");
      return (await Promise.all(ids.map(status))).sort(byLoadThenId);
    },
    async claimLeastLoaded(only) {
      const min = `(${clock() - opts.ttlMs}`;
      const args = [min, opts.maxLoad ?? 0, only ? "1" : "0", ...(only ?? [])];
      const best = await CLAIM.run<string | null>(client, [seenKey, loadKey], args);
      return best ?? undefined;
    },
    async addLoad(agentId, delta) {
      return Number(await ADD_LOAD.run<number>(client, [loadKey], [agentId, Math.trunc(delta)]));
    },
    close: async () => {},
  };
}
