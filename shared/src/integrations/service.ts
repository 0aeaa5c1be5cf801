import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { BoundedMap } from "../bounded-map.js";
import type { Config } from "../config/schema.js";
import { type Keyring, keyringFromConfig } from "../crypto/keyring.js";
import { errorMessage } from "../errors.js";
import { newId } from "../events/event.js";
import { type Integration, type IntegrationStore, UniqueViolation } from "../store/types.js";
import { type EnvTenant, envIntegration, envTenantFrom } from "./env-integration.js";
import { IntegrationConflict, IntegrationInvalid } from "./errors.js";
import { IntegrationInput, IntegrationPatch } from "./schemas.js";
import { TtlCache } from "./ttl-cache.js";

const UNKNOWN: IntegrationLookup = Object.freeze({ state: "unknown" });

import { type MaskedIntegration, maskSecret } from "./wire.js";

export interface ResolvedIntegration {
  /** With decrypted secrets: for the process's own use, never for responses or logs. */
  integration: Integration;
  source: "store" | "env";
}

/** What a business number is to this deployment: an enabled integration, a disabled one, or nothing. */
export type IntegrationLookup =
  | { state: "enabled"; resolved: ResolvedIntegration }
  | { state: "disabled" | "unknown" };

export interface IntegrationService {
  /** Throws IntegrationInvalid (bad fields) or IntegrationConflict (taken number or verify token). */
  create(input: IntegrationInput): Promise<MaskedIntegration>;
  list(): Promise<MaskedIntegration[]>;
  get(id: string): Promise<MaskedIntegration | undefined>;
  /** Undefined when there is no such integration; throws like create. */
  update(id: string, patch: IntegrationPatch): Promise<MaskedIntegration | undefined>;
  delete(id: string): Promise<boolean>;
  /** The enabled integration of a business number, stored or from the environment; cached briefly. */
  resolve(phoneNumberId: string): Promise<ResolvedIntegration | undefined>;
  /**
   * resolve() with the reason when there is none. Numbers with no integration are remembered
   * apart (negative cache, bounded): a flood of unknown numbers in unauthenticated webhook POSTs
   * costs one store lookup per number per TTL and never pushes known numbers out of the cache.
   */
  lookup(phoneNumberId: string): Promise<IntegrationLookup>;
  resolveByVerifyToken(token: string): Promise<ResolvedIntegration | undefined>;
  /** The number's own app secret, else the global APP_SECRET. */
  appSecretFor(phoneNumberId: string): Promise<string | undefined>;
}

export interface IntegrationServiceDeps {
  store: IntegrationStore;
  keyring: Keyring;
  log: Logger;
  /** Single-tenant environment settings (`envTenantFrom(config)`), the fallback integration. */
  env?: EnvTenant;
  /** How long resolve() answers from memory; changes made in this process clear it at once. */
  cacheTtlMs?: number;
  /** How many unknown numbers are remembered at once (the oldest are forgotten first). */
  maxUnknown?: number;
  now?: () => number;
  newId?: () => string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
export const generateVerifyToken = (): string => randomBytes(24).toString("base64url");

export function createIntegrationService(deps: IntegrationServiceDeps): IntegrationService {
  const { store, keyring, log } = deps;
  const now = deps.now ?? Date.now;
  const makeId = deps.newId ?? newId;
  const fromEnv = deps.env ? envIntegration(deps.env) : undefined;
  const envVerify = fromEnv?.verifyToken ? digest(fromEnv.verifyToken) : undefined;
  const ttlMs = deps.cacheTtlMs ?? 5000;
  const cache = new TtlCache<IntegrationLookup>(ttlMs, now);
  /** Numbers with no integration → when that answer expires. */
  const unknown = new BoundedMap<string, number>(deps.maxUnknown ?? 100_000);
  const forget = () => {
    cache.clear();
    unknown.clear();
  };
  if (keyring.currentKeyId === undefined) {
    log.warn("ENCRYPTION_KEY is not set: integration secrets are stored as plaintext (plain:)");
  }

  const reveal = (row: Integration): Integration => ({
    ...row,
    accessToken: keyring.decrypt(row.accessToken, { id: row.id, field: "accessToken" }),
    appSecret: row.appSecret ? keyring.decrypt(row.appSecret, { id: row.id, field: "appSecret" }) : undefined,
  });

  const mask = (row: Integration): MaskedIntegration => {
    const show = (stored: string, field: "accessToken" | "appSecret") => {
      try {
        return maskSecret(keyring.decrypt(stored, { id: row.id, field }));
      } catch (err) {
        log.warn({ integrationId: row.id, err: errorMessage(err) }, "integration secret unreadable");
        return "****";
      }
    };
    const masked = { ...row, accessToken: show(row.accessToken, "accessToken"), masked: true as const };
    return row.appSecret ? { ...masked, appSecret: show(row.appSecret, "appSecret") } : masked;
  };

  const uniqueOrThrow = (err: unknown): never => {
    if (err instanceof UniqueViolation) throw new IntegrationConflict(err.field);
    throw err;
  };

  const fromStore = async (phoneNumberId: string): Promise<IntegrationLookup> => {
    const row = await store.getByPhoneNumberId(phoneNumberId);
    if (row) {
      return row.enabled
        ? { state: "enabled", resolved: { integration: reveal(row), source: "store" } }
        : { state: "disabled" };
    }
    if (fromEnv?.phoneNumberId && fromEnv.phoneNumberId === phoneNumberId) {
      return { state: "enabled", resolved: { integration: fromEnv, source: "env" } };
    }
    return UNKNOWN;
  };

  const lookup = async (phoneNumberId: string): Promise<IntegrationLookup> => {
    const until = unknown.get(phoneNumberId);
    if (until !== undefined && until > now()) return UNKNOWN;
    const found = await cache.get(phoneNumberId, () => fromStore(phoneNumberId));
    if (found.state === "unknown" && ttlMs > 0) {
      unknown.set(phoneNumberId, now() + ttlMs);
      cache.delete(phoneNumberId);
    }
    return found;
  };

  const service: IntegrationService = {
    async create(input) {
      const parsed = IntegrationInput.safeParse(input);
      if (!parsed.success) throw IntegrationInvalid.fromZod(parsed.error);
      const { accessToken, appSecret, verifyToken, ...rest } = parsed.data;
      const at = new Date(now()).toISOString();
      const id = makeId();
      const row: Integration = {
        id,
        ...rest,
        accessToken: keyring.encrypt(accessToken, { id, field: "accessToken" }),
        appSecret:
          appSecret === undefined ? undefined : keyring.encrypt(appSecret, { id, field: "appSecret" }),
        verifyToken: verifyToken ?? generateVerifyToken(),
        createdAt: at,
        updatedAt: at,
      };
      const saved = await store.create(row).catch(uniqueOrThrow);
      forget();
      log.info(
        {
          integrationId: saved.id,
          phoneNumberId: saved.phoneNumberId,
          keyId: keyring.currentKeyId ?? "plain",
        },
        "integration created",
      );
      return mask(saved);
    },

    list: async () => (await store.list()).map(mask),

    async get(id) {
      const row = await store.get(id);
      return row && mask(row);
    },

    async update(id, patch) {
      const parsed = IntegrationPatch.safeParse(patch);
      if (!parsed.success) throw IntegrationInvalid.fromZod(parsed.error);
      const { accessToken, appSecret, ...rest } = parsed.data;
      const saved = await store
        .update(id, {
          ...rest,
          accessToken:
            accessToken === undefined
              ? undefined
              : keyring.encrypt(accessToken, { id, field: "accessToken" }),
          appSecret:
            appSecret === undefined ? undefined : keyring.encrypt(appSecret, { id, field: "appSecret" }),
        })
        .catch(uniqueOrThrow);
      forget();
      if (!saved) return undefined;
      const fields = Object.entries(parsed.data).flatMap(([k, v]) => (v === undefined ? [] : [k]));
      log.info({ integrationId: id, fields }, "integration updated");
      return mask(saved);
    },

    async delete(id) {
      const deleted = await store.delete(id);
      forget();
      if (deleted) log.info({ integrationId: id }, "integration deleted");
      return deleted;
    },

    lookup,

    async resolve(phoneNumberId) {
      const found = await lookup(phoneNumberId);
      return found.state === "enabled" ? found.resolved : undefined;
    },

    async resolveByVerifyToken(token) {
      if (!token) return undefined;
      const row = await store.getByVerifyToken(token);
      if (row) return row.enabled ? { integration: reveal(row), source: "store" } : undefined;
      if (fromEnv && envVerify && timingSafeEqual(digest(token), envVerify)) {
        return { integration: fromEnv, source: "env" };
      }
      return undefined;
    },

    async appSecretFor(phoneNumberId) {
      const resolved = await service.resolve(phoneNumberId);
      return resolved?.integration.appSecret ?? deps.env?.appSecret;
    },
  };
  return service;
}

/**
 * The integration service as every service builds it from config: ENCRYPTION_KEY (and
 * ENCRYPTION_KEYS_OLD) over the integrations store, with the environment's number as fallback.
 */
export function integrationServiceFromConfig(
  config: Pick<Config, "whatsapp" | "flow" | "security">,
  store: IntegrationStore,
  log: Logger,
): IntegrationService {
  return createIntegrationService({
    store,
    keyring: keyringFromConfig(config),
    log: log.child({ component: "integrations" }),
    env: envTenantFrom(config),
  });
}
