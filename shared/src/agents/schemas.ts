import { z } from "zod";
import type { Agent } from "../store/types.js";

/** An agent id, as in the route `agent:<id>`. */
export const AgentId = z.string().regex(/^[A-Za-z0-9_.@-]{1,100}$/, "letters, digits, _ . @ - (1 to 100)");

/** Business numbers (phone_number_ids) an agent works on; "*" is every one. */
export const AgentTenants = z
  .array(z.union([z.literal("*"), z.string().regex(/^\d{1,30}$/, 'a phone_number_id (digits) or "*"')]))
  .min(1)
  .max(500)
  .transform((tenants) => [...new Set(tenants)]);

export const CreateAgentBody = z.strictObject({
  id: AgentId,
  name: z.string().trim().min(1).max(100),
  tenants: AgentTenants,
  enabled: z.boolean().default(true),
});
export type CreateAgentBody = z.input<typeof CreateAgentBody>;

export const UpdateAgentBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    tenants: AgentTenants.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), "at least one field to change is required");
export type UpdateAgentBody = z.input<typeof UpdateAgentBody>;

/** An agent as the API shows it: never the key, nor its hash. */
export const AgentView = z.object({
  id: z.string(),
  name: z.string(),
  tenants: z.array(z.string()),
  enabled: z.boolean(),
  keyHint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AgentView = z.infer<typeof AgentView>;

export const agentView = ({ keyHash: _hash, ...view }: Agent): AgentView => view;

/** True when the agent may work on conversations of this business number. */
export const agentCovers = (agent: Pick<Agent, "tenants">, tenant: string): boolean =>
  agent.tenants.includes("*") || agent.tenants.includes(tenant);

/** The store filter for an agent's tenants: undefined (no filter) for "*". */
export const tenantsFilter = (agent: Pick<Agent, "tenants">): readonly string[] | undefined =>
  agent.tenants.includes("*") ? undefined : agent.tenants;
