import type { Flow, FlowRegistry } from "@flank/shared/flows";
import type { IntegrationStore } from "@flank/shared/store";

/** A business number's flow, remembered for 30 s so each message is not a store lookup. */
export function createFlowLookup(
  integrations: Pick<IntegrationStore, "getByPhoneNumberId">,
  flows: FlowRegistry,
  ttlMs = 30_000,
): (tenant: string) => Promise<Flow> {
  const flowIds = new Map<string, { flowId: string | undefined; until: number }>();
  return async (tenant) => {
    const now = Date.now();
    let hit = flowIds.get(tenant);
    if (!hit || hit.until < now) {
      const integration = await integrations.getByPhoneNumberId(tenant);
      hit = { flowId: integration?.agentFlowId, until: now + ttlMs };
      flowIds.set(tenant, hit);
    }
    return flows.resolve(hit.flowId);
  };
}
