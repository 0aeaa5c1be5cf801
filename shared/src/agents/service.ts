import type { Agent, AgentStore } from "../store/types.js";
import { agentKeyHash, agentKeyHint, newAgentKey } from "./keys.js";
import { type CreateAgentBody, CreateAgentBody as CreateSchema } from "./schemas.js";

/** A new agent and its key: the only moment the key exists outside the agent's hands. */
export interface IssuedKey {
  agent: Agent;
  key: string;
}

/**
 * Creates an agent with a fresh key; throws UniqueViolation("id") for a taken id. The input is
 * parsed here too, so every caller (API, CLI, embedded mode) gets the same rules.
 */
export async function createAgent(
  store: AgentStore,
  input: CreateAgentBody,
  now: () => string = () => new Date().toISOString(),
): Promise<IssuedKey> {
  const body = CreateSchema.parse(input);
  const key = newAgentKey();
  const at = now();
  const agent = await store.create({
    ...body,
    keyHash: agentKeyHash(key),
    keyHint: agentKeyHint(key),
    createdAt: at,
    updatedAt: at,
  });
  return { agent, key };
}

/** Replaces an agent's key (the old one stops working); undefined when there is no such agent. */
export async function rotateAgentKey(store: AgentStore, id: string): Promise<IssuedKey | undefined> {
  const key = newAgentKey();
  const agent = await store.update(id, { keyHash: agentKeyHash(key), keyHint: agentKeyHint(key) });
  return agent && { agent, key };
}

/** The enabled agent a key belongs to, or undefined. */
export async function agentForKey(
  store: Pick<AgentStore, "getByKeyHash">,
  key: string,
): Promise<Agent | undefined> {
  const agent = await store.getByKeyHash(agentKeyHash(key));
  return agent?.enabled ? agent : undefined;
}
