import { randomBytes } from "node:crypto";
import type { Config } from "@flank/shared/config";

/** The business number the embedded mode and `flank simulate` use when PHONE_NUMBER_ID is unset. */
export const LOCAL_PHONE_NUMBER_ID = "100000000000001";

/** Values generated for this run because the environment left them unset. */
export interface Generated {
  appSecret?: string;
  apiKey?: string;
  /** An ADMIN_API_KEYS key: the integrations and agents API. */
  adminKey?: string;
  verifyToken?: string;
  /** The token the Cloud API simulator requires (no WHATSAPP_TOKEN). */
  simulatorToken?: string;
  /** A local agent's key for the operator console (in-memory store only: it goes when the process does). */
  agentKey?: string;
}

export interface LocalSetup {
  config: Config;
  generated: Generated;
  /** No WHATSAPP_TOKEN: the Graph API is the built-in simulator. */
  simulateWhatsApp: boolean;
}

const secret = (bytes: number) => randomBytes(bytes).toString("hex");

/**
 * Safe local values for a first run (embedded mode): every secret left unset is generated at random
 * for this run, so webhook signatures and API keys are still checked. Never weakens a value that
 * is set. Pure apart from the random bytes.
 */
export function withLocalDefaults(config: Config, random: (bytes: number) => string = secret): LocalSetup {
  const generated: Generated = {};
  const whatsapp = { ...config.whatsapp };
  const security = { ...config.security };
  if (!whatsapp.appSecret) whatsapp.appSecret = generated.appSecret = random(24);
  if (!whatsapp.verifyToken) whatsapp.verifyToken = generated.verifyToken = random(12);
  if (security.apiKeys.length === 0) {
    generated.apiKey = `flk_local_${random(16)}`;
    security.apiKeys = [generated.apiKey];
  }
  if (security.adminApiKeys.length === 0) {
    generated.adminKey = `flk_admin_${random(16)}`;
    security.adminApiKeys = [generated.adminKey];
  }
  whatsapp.phoneNumberId ??= LOCAL_PHONE_NUMBER_ID;
  const simulateWhatsApp = !whatsapp.token;
  if (simulateWhatsApp) whatsapp.token = generated.simulatorToken = `sim_${random(16)}`;
  return { config: { ...config, whatsapp, security }, generated, simulateWhatsApp };
}

/** What runs for real and what is simulated, in words for the banner. */
export function simulatedParts(config: Config, simulateWhatsApp: boolean): string[] {
  const parts: string[] = [];
  if (simulateWhatsApp) parts.push("WhatsApp Cloud API (built-in simulator; set WHATSAPP_TOKEN for Meta)");
  if (!config.openai.apiKey) parts.push("OpenAI (offline: the flows' scripted replies; set OPENAI_API_KEY)");
  if (config.bus.kind === "memory") parts.push("bus (in memory; set BUS=redis or BUS=nats)");
  if (config.store.kind === "memory") parts.push("store (in memory; set STORE=mongo)");
  return parts;
}
