import { agentCovers } from "../agents/schemas.js";
import type { AgentStore } from "../store/types.js";
import type { AgentPresence } from "./presence.js";

/**
 * Whether the agent may work on this business number: enabled and covering it when the agent
 * store knows the agent; an id the store does not know (driven through an admin key) is not
 * limited to any number.
 */
export function mayWorkOn(
  known: ReadonlyMap<string, { enabled: boolean; tenants: string[] }>,
  agentId: string,
  tenant: string,
): boolean {
  const agent = known.get(agentId);
  return !agent || (agent.enabled && agentCovers(agent, tenant));
}

/** The online agents who may take a conversation of this business number, least loaded first. */
export async function eligibleOnline(
  presence: Pick<AgentPresence, "online">,
  agents: Pick<AgentStore, "list"> | undefined,
  tenant: string,
): Promise<string[]> {
  const online = await presence.online();
  if (online.length === 0) return [];
  const known = new Map((agents ? await agents.list() : []).map((a) => [a.id, a]));
  return online.map((s) => s.agentId).filter((id) => mayWorkOn(known, id, tenant));
}
