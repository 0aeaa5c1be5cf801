import type { Config } from "../config/schema.js";
import type { Integration } from "../store/types.js";

/** The single-tenant settings (PHONE_NUMBER_ID, WHATSAPP_TOKEN, …) that act as an implicit integration. */
export interface EnvTenant {
  phoneNumberId?: string;
  accessToken?: string;
  verifyToken?: string;
  appSecret?: string;
  wabaId?: string;
  flow?: string;
}

export const envTenantFrom = (config: Pick<Config, "whatsapp" | "flow">): EnvTenant => ({
  phoneNumberId: config.whatsapp.phoneNumberId,
  accessToken: config.whatsapp.token,
  verifyToken: config.whatsapp.verifyToken,
  appSecret: config.whatsapp.appSecret,
  wabaId: config.whatsapp.businessAccountId,
  flow: config.flow,
});

export const ENV_INTEGRATION_ID = "env";
const EPOCH = new Date(0).toISOString();

/**
 * The environment's tenant as an Integration, or undefined when neither a number nor a verify
 * token is configured. Missing values are empty strings: a webhook-only setup has no token.
 */
export function envIntegration(env: EnvTenant): Integration | undefined {
  if (!env.phoneNumberId && !env.verifyToken) return undefined;
  return {
    id: ENV_INTEGRATION_ID,
    phoneNumberId: env.phoneNumberId ?? "",
    accessToken: env.accessToken ?? "",
    verifyToken: env.verifyToken ?? "",
    appSecret: env.appSecret,
    wabaId: env.wabaId,
    agentFlowId: env.flow,
    enabled: true,
    createdAt: EPOCH,
    updatedAt: EPOCH,
  };
}
