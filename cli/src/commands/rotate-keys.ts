import { parseArgs } from "node:util";
import { type Config, configSecrets, loadConfig } from "@flank/shared/config";
import { keyringFromConfig } from "@flank/shared/crypto";
import { FlankError } from "@flank/shared/errors";
import { rotateSecrets } from "@flank/shared/integrations";
import { createLogger, type Logger } from "@flank/shared/log";
import { createStores, type Stores } from "@flank/shared/store";
import { EXIT, type Io } from "../io.js";

export type OpenStores = (config: Config, log: Logger) => Promise<Pick<Stores, "integrations" | "close">>;

/**
 * `flank rotate-keys`: re-encrypts every integration's access token and app secret with
 * ENCRYPTION_KEY, reading them with ENCRYPTION_KEYS_OLD, so the old keys can then be dropped.
 * Safe to run again; exits 1 when a row could not be read with any key (it is left unchanged).
 */
export function rotateKeysCommand(openStores: OpenStores = createStores) {
  return async (args: string[], io: Io): Promise<number> => {
    parseArgs({ args, options: {}, strict: true, allowPositionals: false });
    const config = loadConfig({ env: io.env, dir: io.cwd });
    if (config.store.kind === "memory") {
      throw new FlankError(
        "ConfigError",
        "rotate-keys works on the integrations in MongoDB: set STORE=mongo and MONGODB_URI (the memory store keeps nothing between runs)",
      );
    }
    const log = createLogger({
      level: config.logLevel,
      name: "flank",
      secrets: configSecrets(config),
      destination: { write: io.stderr },
    });
    const stores = await openStores(config, log);
    try {
      const report = await rotateSecrets(stores.integrations, keyringFromConfig(config), log);
      io.stdout(
        `rotated ${report.rotated.length}, already current ${report.unchanged}, failed ${report.failed.length}\n`,
      );
      for (const f of report.failed) io.stdout(`  ${f.id}: ${f.error}\n`);
      return report.failed.length === 0 ? EXIT.ok : EXIT.failure;
    } finally {
      await stores.close();
    }
  };
}
