import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { FlankError } from "../errors.js";
import { type Config, type Env, EnvSchema } from "./schema.js";

export class ConfigError extends FlankError {
  constructor(readonly problems: string[]) {
    super("ConfigError", `invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export const ENV_FILES = [".env", "config.env"] as const;

/** Variables from `.env` and `config.env` in `dir` (later files win); the real environment wins over both. */
export function readEnvFiles(dir: string): Env {
  const merged: Env = {};
  for (const name of ENV_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) Object.assign(merged, parseEnv(readFileSync(path, "utf8")));
  }
  return merged;
}

/** Parses the configuration; throws one ConfigError naming every missing or invalid variable. */
export function parseConfig(env: Env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`));
}

export function loadConfig(opts: { env?: Env; dir?: string } = {}): Config {
  const env = opts.env ?? process.env;
  return parseConfig({ ...readEnvFiles(opts.dir ?? process.cwd()), ...env });
}

/** Every secret value in the config, for log scrubbing. */
export function configSecrets(config: Config): string[] {
  const { whatsapp, openai, security, redis, mongo } = config;
  return [
    whatsapp.token,
    whatsapp.appSecret,
    whatsapp.verifyToken,
    openai.apiKey,
    security.encryptionKey,
    ...security.encryptionKeysOld,
    ...security.apiKeys,
    ...security.adminApiKeys,
    passwordOf(redis.url),
    passwordOf(mongo.uri),
  ].filter((s): s is string => typeof s === "string" && s.length >= 4);
}

function passwordOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    const p = new URL(uri).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}
