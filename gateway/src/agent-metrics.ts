import type { Logger } from "@flank/shared/log";
import type { AgentPresence } from "@flank/shared/routing";
import type { AgentStore, ConversationStore } from "@flank/shared/store";
import { Gauge, Histogram, type Registry } from "prom-client";

export interface AgentMetricsDeps {
  conversations: Pick<ConversationStore, "count">;
  presence: Pick<AgentPresence, "online" | "status">;
  agents: Pick<AgentStore, "list">;
  log: Logger;
}

/**
 * The human side as Prometheus metrics: the queue's length and each agent's load are read from
 * the store and presence at scrape time (so every gateway reports the same numbers); the time to
 * a first agent reply is observed when that reply is sent.
 */
export function createAgentMetrics(registry: Registry, deps: AgentMetricsDeps) {
  const registers = [registry];
  // A failed read leaves the last values and logs; it must not fail the whole scrape.
  const safely = (what: string, read: () => Promise<void>) => async () => {
    await read().catch((err: unknown) => deps.log.warn({ err }, `metrics: could not read ${what}`));
  };
  const queue = new Gauge({
    name: "flank_agent_queue_length",
    help: "Conversations waiting in the agent queue (route queue)",
    registers,
    collect: safely("the queue length", async () => {
      queue.set(await deps.conversations.count({ route: "queue" }));
    }),
  });
  const load = new Gauge({
    name: "flank_agent_load",
    help: "Conversations each agent holds, for agents online or known to the agent store",
    labelNames: ["agent", "online"] as const,
    registers,
    collect: safely("agent loads", async () => {
      const online = await deps.presence.online();
      const seen = new Set(online.map((s) => s.agentId));
      const known = (await deps.agents.list()).filter((a) => a.enabled && !seen.has(a.id));
      const offline = await Promise.all(known.map((a) => deps.presence.status(a.id)));
      load.reset();
      for (const s of [...online, ...offline])
        load.set({ agent: s.agentId, online: String(s.online) }, s.load);
    }),
  });
  return {
    firstReply: new Histogram({
      name: "flank_agent_first_reply_seconds",
      help: "Time from a conversation leaving the bot to its first agent reply",
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600],
      registers,
    }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
