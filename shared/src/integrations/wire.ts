import type { Integration } from "../store/types.js";

/** Shorter secrets show nothing: the last 4 of an 8-character value would be half of it. */
const MIN_LENGTH_TO_HINT = 12;

/** `EAAB…wxyz` → `****wxyz`: enough to tell tokens apart, never enough to use one. */
export function maskSecret(plaintext: string): string {
  return plaintext.length >= MIN_LENGTH_TO_HINT ? `****${plaintext.slice(-4)}` : "****";
}

/**
 * An integration as the API shows it: secrets already masked by the service. Verify tokens are
 * shown in full: the admin pastes them into Meta's dashboard, and they only allow the webhook
 * subscription handshake.
 */
export type MaskedIntegration = Integration & { readonly masked: true };

export interface IntegrationWire {
  id: string;
  organization_id?: string;
  agent_flow_id?: string;
  phone_number?: string;
  phone_number_id: string;
  waba_id?: string;
  access_token: string;
  verify_token: string;
  app_secret?: string;
  template_fallback?: Integration["templateFallback"];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** The snake_case JSON of a masked integration (only a masked one: the type forbids the rest). */
export function integrationToWire(i: MaskedIntegration): IntegrationWire {
  return {
    id: i.id,
    organization_id: i.organizationId,
    agent_flow_id: i.agentFlowId,
    phone_number: i.phoneNumber,
    phone_number_id: i.phoneNumberId,
    waba_id: i.wabaId,
    access_token: i.accessToken,
    verify_token: i.verifyToken,
    app_secret: i.appSecret,
    template_fallback: i.templateFallback,
    enabled: i.enabled,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
  };
}
