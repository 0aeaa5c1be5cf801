import type { Logger } from "pino";
import type { Keyring } from "../crypto/keyring.js";
import { errorMessage, FlankError } from "../errors.js";
import type { Integration, IntegrationStore } from "../store/types.js";

export interface RotationReport {
  /** Integrations whose secrets were re-encrypted with the current key. */
  rotated: string[];
  /** Already current. */
  unchanged: number;
  /** Unreadable (unknown key, altered): left as they were. */
  failed: { id: string; error: string }[];
}

const SECRET_FIELDS = ["accessToken", "appSecret"] as const;

/**
 * Re-encrypts every integration's secrets with the keyring's current key in the current format
 * (bound to the row and field), so old keys can then be dropped from ENCRYPTION_KEYS_OLD; `plain:`
 * values written before a key was set and `v1:` values are migrated too. Each row is re-read just before it is rewritten, so a change
 * made meanwhile is not overwritten with an older value. Safe to run again (a no-op once current).
 */
export async function rotateSecrets(
  store: IntegrationStore,
  keys: Keyring,
  log?: Logger,
): Promise<RotationReport> {
  if (keys.currentKeyId === undefined) {
    throw new FlankError("ConfigError", "ENCRYPTION_KEY is required to rotate integration secrets");
  }
  const report: RotationReport = { rotated: [], unchanged: 0, failed: [] };
  for (const { id } of await store.list()) {
    const row = await store.get(id);
    if (!row) continue;
    try {
      const patch: Partial<Pick<Integration, "accessToken" | "appSecret">> = {};
      for (const field of SECRET_FIELDS) {
        const stored = row[field];
        if (stored && !keys.isCurrent(stored)) patch[field] = keys.reseal(stored, { id, field });
      }
      if (Object.keys(patch).length === 0) {
        report.unchanged++;
        continue;
      }
      await store.update(id, patch);
      report.rotated.push(id);
    } catch (err) {
      report.failed.push({ id, error: errorMessage(err) });
      log?.error({ integrationId: id, err: errorMessage(err) }, "integration secret not rotated");
    }
  }
  log?.info(
    {
      keyId: keys.currentKeyId,
      rotated: report.rotated.length,
      unchanged: report.unchanged,
      failed: report.failed.length,
    },
    "integration secrets rotated",
  );
  return report;
}
