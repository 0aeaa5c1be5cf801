import { agentCovers, tenantsFilter } from "@flank/shared/agents";
import type { Agent, Conversation, ConversationStore } from "@flank/shared/store";
import type { Context } from "hono";
import type { GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import type { Principal } from "../middleware/api-keys.js";

// What a key may do on the agent API (docs/architecture.md "HTTP surface"). An agent key acts as
// its own agent, on its own business numbers; an admin key may act for any agent (naming it); an
// api key reads and hands off, but never acts as an agent.

export function principalOf(c: Context<GatewayEnv>): Principal {
  const principal = c.get("principal");
  // Only reachable when the routes are mounted without the key check: refuse rather than guess.
  if (!principal) throw new ApiError("unauthorized", "no API key checked for this route");
  return principal;
}

/** The agent the request acts as: the key's own agent, or the one an admin key names. */
export function actingAgent(c: Context<GatewayEnv>, named: string | undefined): string {
  const p = principalOf(c);
  if (p.kind === "agent") {
    if (named !== undefined && named !== p.agent.id) {
      throw new ApiError("forbidden", `this key acts as agent ${p.agent.id} only, not ${named}`);
    }
    return p.agent.id;
  }
  if (p.kind === "admin") {
    if (!named) throw new ApiError("bad_request", "agentId is required with an admin key");
    return named;
  }
  throw new ApiError(
    "forbidden",
    "acting as an agent needs that agent's key (or an admin key); create agents with POST /v1/admin/agents",
  );
}

/** The agent behind an agent key, else undefined (api and admin keys). */
export const keyAgent = (c: Context<GatewayEnv>): Agent | undefined => {
  const p = principalOf(c);
  return p.kind === "agent" ? p.agent : undefined;
};

/** Refuses a business number outside an agent key's. */
export function checkTenant(c: Context<GatewayEnv>, tenant: string): void {
  const agent = keyAgent(c);
  if (agent && !agentCovers(agent, tenant)) {
    throw new ApiError("forbidden", `agent ${agent.id} does not work on business number ${tenant}`);
  }
}

/** The store filter for what the key may see: an agent key's numbers, narrowed to `tenant` when given. */
export function tenantScope(
  c: Context<GatewayEnv>,
  tenant: string | undefined,
): { tenant?: string; tenants?: readonly string[] } {
  if (tenant !== undefined) checkTenant(c, tenant);
  const agent = keyAgent(c);
  const tenants = agent ? tenantsFilter(agent) : undefined;
  return { ...(tenant !== undefined ? { tenant } : {}), ...(tenants ? { tenants } : {}) };
}

/** The conversation, when it exists (404) and the key may work on its number (403). */
export async function visibleConversation(
  c: Context<GatewayEnv>,
  conversations: Pick<ConversationStore, "get">,
  id: string,
): Promise<Conversation> {
  const conversation = await conversations.get(id);
  if (!conversation) throw new ApiError("not_found", `no conversation ${id}`);
  checkTenant(c, conversation.tenant);
  return conversation;
}
