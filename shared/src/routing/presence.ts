/** One agent as the presence store sees it. */
export interface AgentStatus {
  agentId: string;
  /** Epoch ms of the last heartbeat, 0 when never seen. */
  lastSeen: number;
  /** Conversations currently assigned. */
  load: number;
  online: boolean;
}

/**
 * Which human agents are online (a heartbeat within the TTL) and how many conversations each
 * holds. Assignment picks the least-loaded online agent atomically, so two routers never both
 * see the same agent as the emptiest.
 */
export interface AgentPresence {
  heartbeat(agentId: string): Promise<AgentStatus>;
  /** Marks the agent offline at once (its conversations stay assigned). */
  offline(agentId: string): Promise<void>;
  status(agentId: string): Promise<AgentStatus>;
  /** Online agents, least loaded first (ties by id). */
  online(): Promise<AgentStatus[]>;
  /**
   * Picks the least-loaded online agent under the cap and counts one more conversation for it;
   * with `only`, among those agents alone (the ones who may work on the conversation's number).
   */
  claimLeastLoaded(only?: readonly string[]): Promise<string | undefined>;
  /** Adds `delta` to an agent's load, never going below 0; returns the new load. */
  addLoad(agentId: string, delta: number): Promise<number>;
  close(): Promise<void>;
}

export interface PresenceOptions {
  /** An agent is online while its last heartbeat is younger than this. */
  ttlMs: number;
  /** Most conversations one agent is given automatically; 0 = no cap. Taking over ignores it. */
  maxLoad?: number;
  clock?: () => number;
}

export const byLoadThenId = (a: AgentStatus, b: AgentStatus): number =>
  a.load - b.load || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);

export function createMemoryAgentPresence(opts: PresenceOptions): AgentPresence {
  const clock = opts.clock ?? Date.now;
  const seen = new Map<string, number>();
  const loads = new Map<string, number>();
  const status = (agentId: string): AgentStatus => {
    const lastSeen = seen.get(agentId) ?? 0;
    return { agentId, lastSeen, load: loads.get(agentId) ?? 0, online: lastSeen > clock() - opts.ttlMs };
  };
  const online = () =>
    [...seen.keys()]
      .map(status)
      .filter((s) => s.online)
      .sort(byLoadThenId);
  return {
    async heartbeat(agentId) {
      seen.set(agentId, clock());
      return status(agentId);
    },
    async offline(agentId) {
      seen.delete(agentId);
    },
    status: async (agentId) => status(agentId),
    online: async () => online(),
    async claimLeastLoaded(only) {
      const cap = opts.maxLoad ?? 0;
      const best = online().find((s) => (cap === 0 || s.load < cap) && (!only || only.includes(s.agentId)));
      if (best) loads.set(best.agentId, best.load + 1);
      return best?.agentId;
    },
    async addLoad(agentId, delta) {
      const load = Math.max(0, (loads.get(agentId) ?? 0) + delta);
      loads.set(agentId, load);
      return load;
    },
    close: async () => {},
  };
}
