import type { Service } from "@flank/shared/lifecycle";
import { startResponder } from "./index.js";

/** The responder: the bot and sender workers on the context's bus, stores and Redis. */
export const service: Service = async ({
  config,
  log,
  bus,
  stores,
  redis,
  sessionCache,
  flows,
  media,
  integrations,
}) => {
  if (!redis) log.warn("no REDIS_URL: pacing and idempotency are per process (fine for one instance)");
  const responder = await startResponder({
    config,
    bus,
    stores,
    // The same flows as the router, so stage prompts and scripted replies match the stage it chose.
    flows: await flows(),
    // The sender reads each number's token through it, decrypted with keyringFromConfig(config):
    // ENCRYPTION_KEY, or one of ENCRYPTION_KEYS_OLD until `flank rotate-keys` has run.
    integrations,
    sessionCache,
    mediaStore: media,
    log,
    ...(redis ? { redis } : {}),
  });
  return {
    name: "responder",
    stop: () => responder.stop({ timeoutMs: 10_000 }),
    details: { model: Boolean(config.openai.apiKey) },
  };
};
