import type { FlankEvent } from "@flank/shared/contract";
import { SecretError } from "@flank/shared/crypto";
import type { IntegrationLookup } from "@flank/shared/integrations";
import type { GatewayContext } from "../deps.js";
import { ApiError } from "../errors.js";
import { numberOf } from "../webhook-tenants.js";

/** Business number → its integration (enabled with its secrets, disabled, or none). */
export type Tenants = Map<string, IntegrationLookup>;

/**
 * Looks up the numbers a webhook names (cached by the service, unknown numbers too: the caller is
 * not authenticated yet). When an integration's secrets
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
  const found = await Promise.all(ids.map(async (id) => [id, await resolveOne(ctx, id, requestId)] as const));
  return new Map(found);
}

async function resolveOne(
  { integrations, log }: Pick<GatewayContext, "integrations" | "log">,
  id: string,
  requestId: string,
): Promise<IntegrationLookup> {
  try {
    return await integrations.lookup(id);
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
  const secretOf = (id: string) => {
    const t = tenants.get(id);
    return (t?.state === "enabled" ? t.resolved.integration.appSecret : undefined) ?? globalSecret;
  };
  const secret = ids.length === 0 ? globalSecret : secretOf(ids[0] as string);
  for (let i = 1; i < ids.length; i++) if (secretOf(ids[i] as string) !== secret) return { ok: false };
  return { ok: true, secret };
}

export type UnroutedReason = "unknown_integration" | "disabled_integration";

export interface RoutedSplit {
  events: FlankEvent[];
  dedupKeys: string[];
  /** Numbers whose events were dropped, with why and how many. */
  unrouted: Map<string, { reason: UnroutedReason; count: number }>;
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
    const state = n === undefined ? "enabled" : (tenants.get(n)?.state ?? "unknown");
    if (state === "enabled") {
      out.events.push(event);
      out.dedupKeys.push(`${event.tenant}:${dedupKeys[i] ?? event.id}`);
    } else if (n !== undefined) {
      const reason = state === "disabled" ? "disabled_integration" : "unknown_integration";
      out.unrouted.set(n, { reason, count: (out.unrouted.get(n)?.count ?? 0) + 1 });
    }
  });
  return out;
}
