import { type FlankEvent, type ResolvedIntegration, SecretError } from "@flank/shared";
import type { GatewayContext } from "../deps.js";
import { ApiError } from "../errors.js";
import { numberOf } from "../webhook-tenants.js";

/** Business number → its enabled integration, or undefined (unknown or disabled). */
export type Tenants = Map<string, ResolvedIntegration | undefined>;

/**
 * Resolves the numbers a webhook names (cached by the service). When an integration's secrets
 * cannot be decrypted (ENCRYPTION_KEY changed without ENCRYPTION_KEYS_OLD, an altered row) the
 * answer is 503, so Meta keeps retrying for days and nothing is lost once the key is fixed; it
 * is logged as an alert, because only an operator can fix it. The body says nothing more: the
 * caller is not authenticated yet. A store failure is a 503 too.
 */
export async function resolveTenants(
  ctx: Pick<GatewayContext, "integrations" | "log">,
  ids: readonly string[],
  requestId: string,
): Promise<Tenants> {
  const found = await Promise.all(ids.map((id) => resolveOne(ctx, id, requestId)));
  const tenants: Tenants = new Map();
  for (let i = 0; i < ids.length; i++) tenants.set(ids[i] as string, found[i]);
  return tenants;
}

async function resolveOne(
  { integrations, log }: Pick<GatewayContext, "integrations" | "log">,
  id: string,
  requestId: string,
): Promise<ResolvedIntegration | undefined> {
  try {
    return await integrations.resolve(id);
  } catch (err) {
    if (err instanceof SecretError) {
      log.error(
        { requestId, alert: true, phoneNumberId: id, err },
        "integration secrets cannot be decrypted: check ENCRYPTION_KEY and ENCRYPTION_KEYS_OLD; answering 503 so Meta retries",
      );
      throw new ApiError("not_configured", "integration unavailable; retry later", undefined, err);
    }
    log.error(
      { requestId, phoneNumberId: id, err },
      "integration lookup failed; answering 503 so Meta retries",
    );
    throw new ApiError("not_ready", "integrations unavailable; retry later", undefined, err);
  }
}

export type SecretChoice = { ok: true; secret: string | undefined } | { ok: false };

/**
 * The one app secret a webhook must be signed with: each number's own, else the global
 * APP_SECRET (unknown and disabled numbers too, so their POSTs can still be acknowledged).
 * Numbers with different secrets in one POST cannot all be verified: refused. No secret at all
 * (development without APP_SECRET) means unsigned POSTs are accepted for these numbers.
 */
export function secretForBatch(
  ids: readonly string[],
  tenants: Tenants,
  globalSecret: string | undefined,
): SecretChoice {
  const secretOf = (id: string) => tenants.get(id)?.integration.appSecret ?? globalSecret;
  const secret = ids.length === 0 ? globalSecret : secretOf(ids[0] as string);
  for (let i = 1; i < ids.length; i++) if (secretOf(ids[i] as string) !== secret) return { ok: false };
  return { ok: true, secret };
}

export type UnroutedReason = "unknown_integration" | "disabled_integration";

export interface RoutedSplit {
  events: FlankEvent[];
  dedupKeys: string[];
  /** Numbers whose events were dropped, with how many. */
  unrouted: Map<string, number>;
}

/**
 * Events of enabled integrations (and account-level errors, which name no number) go on; the rest
 * stop here. Dedup keys are scoped by tenant: a wamid one tenant sent first (or made up) must not
 * make another tenant's genuine message with the same wamid a duplicate.
 */
export function splitRouted(events: readonly FlankEvent[], dedupKeys: readonly string[], tenants: Tenants) {
  const out: RoutedSplit = { events: [], dedupKeys: [], unrouted: new Map() };
  events.forEach((event, i) => {
    const n = numberOf(event);
    if (n === undefined || tenants.get(n) !== undefined) {
      out.events.push(event);
      out.dedupKeys.push(`${event.tenant}:${dedupKeys[i] ?? event.id}`);
    } else {
      out.unrouted.set(n, (out.unrouted.get(n) ?? 0) + 1);
    }
  });
  return out;
}

/** Why a number resolved to nothing, for the metric: a stored but disabled row, or none at all. */
export async function unroutedReason(
  ctx: Pick<GatewayContext, "stores">,
  phoneNumberId: string,
): Promise<UnroutedReason> {
  const row = await ctx.stores.integrations.getByPhoneNumberId(phoneNumberId).catch(() => undefined);
  return row ? "disabled_integration" : "unknown_integration";
}
