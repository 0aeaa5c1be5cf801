import {
  agentView,
  CreateAgentBody,
  createAgent,
  rotateAgentKey,
  UpdateAgentBody,
} from "@flank/shared/agents";
import { type AgentStore, UniqueViolation } from "@flank/shared/store";
import { Hono } from "hono";
import type { AgentKeys } from "../agent-keys.js";
import type { GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { jsonBody } from "../validate.js";

export interface AgentAdminDeps {
  agents: AgentStore;
  /** Cleared on every change, so a disabled agent or a replaced key stops working at once. */
  keys: Pick<AgentKeys, "clear">;
}

import { AGENTS_ADMIN_PATH } from "../api-paths.js";

export { AGENTS_ADMIN_PATH };

/**
 * Managing human agents (admin keys): create (the answer holds the agent's key, shown once),
 * list, read, change (name, numbers, enabled: `{"enabled": false}` disables) and a new key.
 */
export function agentAdminRoutes(deps: AgentAdminDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app, AGENTS_ADMIN_PATH);
  const notFound = (id: string) => new ApiError("not_found", `no agent ${id}`);

  on("createAgent", async (c) => {
    const body = await jsonBody(c, CreateAgentBody);
    try {
      const { agent, key } = await createAgent(deps.agents, body);
      addLogFields(c, { agentId: agent.id });
      return c.json({ agent: agentView(agent), key }, 201);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new ApiError("conflict", `agent ${body.id} already exists`);
      throw err;
    }
  });

  on("listAgents", async (c) => c.json({ agents: (await deps.agents.list()).map(agentView) }, 200));

  on("getAgent", async (c) => {
    const agent = await deps.agents.get(c.req.param("id"));
    if (!agent) throw notFound(c.req.param("id"));
    return c.json({ agent: agentView(agent) }, 200);
  });

  on("updateAgent", async (c) => {
    const id = c.req.param("id");
    const patch = await jsonBody(c, UpdateAgentBody);
    const agent = await deps.agents.update(id, patch);
    if (!agent) throw notFound(id);
    deps.keys.clear();
    addLogFields(c, { agentId: id });
    return c.json({ agent: agentView(agent) }, 200);
  });

  on("rotateAgentKey", async (c) => {
    const id = c.req.param("id");
    const issued = await rotateAgentKey(deps.agents, id);
    if (!issued) throw notFound(id);
    deps.keys.clear();
    addLogFields(c, { agentId: id });
    return c.json({ agent: agentView(issued.agent), key: issued.key }, 200);
  });

  return app;
}
