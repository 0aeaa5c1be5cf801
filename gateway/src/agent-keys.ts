import { agentForKey, agentKeyHash } from "@flank/shared/agents";
import { TtlCache } from "@flank/shared/integrations";
import type { Agent, AgentStore } from "@flank/shared/store";

/** Agent keys as the key check sees them: looked up by hash, briefly remembered. */
export interface AgentKeys {
  forKey(key: string): Promise<Agent | undefined>;
  /** Forgets every remembered answer (an agent was changed here: disabled, new key). */
  clear(): void;
}

/**
 * A few seconds' memory of key → agent, so the console's requests do not each cost a store
 * read. A change made through this gateway takes effect at once (clear); one made through another
 * instance within `ttlMs`.
 */
export function createAgentKeys(
  store: Pick<AgentStore, "getByKeyHash">,
  ttlMs = 5000,
  now = Date.now,
): AgentKeys {
  const cache = new TtlCache<Agent | undefined>(ttlMs, now);
  return {
    forKey: (key) => cache.get(agentKeyHash(key), () => agentForKey(store, key)),
    clear: () => cache.clear(),
  };
}
