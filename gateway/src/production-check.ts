import { type Config, ConfigError } from "@flank/shared/config";

/**
 * What a production gateway must not run without (docs/security.md), each naming the variable to
 * set. Empty outside production. Per-integration app secrets do not replace the global one yet:
 * unsigned webhooks for the environment's tenant would otherwise be accepted.
 */
export function productionProblems(config: Pick<Config, "env" | "whatsapp" | "security">): string[] {
  if (config.env !== "production") return [];
  const problems: string[] = [];
  if (!config.whatsapp.appSecret) {
    problems.push("APP_SECRET (or FB_APP_SECRET): required in production, so every webhook must be signed");
  }
  if (!config.security.encryptionKey) {
    problems.push(
      "ENCRYPTION_KEY: required in production, so access tokens and app secrets are encrypted at rest",
    );
  }
  if (config.security.apiKeys.length === 0) {
    problems.push(
      "API_KEYS: required in production, so the send and read API is not open (or refusing everything)",
    );
  }
  return problems;
}

/** Throws one ConfigError naming everything missing; main.ts calls it before building anything. */
export function assertProductionReady(config: Pick<Config, "env" | "whatsapp" | "security">): void {
  const problems = productionProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
}
