import {
  createSessionCache,
  integrationServiceFromConfig,
  loadFlowRegistry,
  runService,
} from "@flank/shared";
import { startResponder } from "./index.js";

/** The responder process: flows → bot and sender workers on the shared bus, stores and Redis. */
void runService("responder", async ({ config, log, bus, stores, redis, add }) => {
  if (!redis) log.warn("no REDIS_URL: pacing and idempotency are per process (fine for one instance)");
  // The sender reads each number's token through it, decrypted with keyringFromConfig(config):
  // ENCRYPTION_KEY, or one of ENCRYPTION_KEYS_OLD until `flank rotate-keys` has run.
  const integrations = integrationServiceFromConfig(config, stores.integrations, log);
  // The same flows as the router, so stage prompts and scripted replies match the stage it chose.
  const flows = await loadFlowRegistry({ defaultFlow: config.flow, dirs: config.router.flowDirs });
  const responder = await startResponder({
    config,
    bus,
    stores,
    flows,
    integrations,
    sessionCache: createSessionCache(config, redis, log),
    log,
    ...(redis ? { redis } : {}),
  });
  add({ name: "responder", stop: () => responder.stop({ timeoutMs: 10_000 }) });
  return { model: Boolean(config.openai.apiKey) };
});
