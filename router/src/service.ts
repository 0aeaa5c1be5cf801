import type { Service } from "@flank/shared/lifecycle";
import { sessionHistoryKeep } from "@flank/shared/store";
import { classifierFromConfig, startRouter } from "./index.js";

/** The router: flows → routing, handoff notices and sync workers on the context's bus and stores. */
export const service: Service = async ({
  config,
  log,
  bus,
  stores,
  redis,
  presence,
  sessionCache,
  flows,
}) => {
  if (!redis)
    log.warn("no REDIS_URL: agent presence and the session cache are per process (fine for one instance)");
  const registry = await flows();
  const router = await startRouter({
    bus,
    stores,
    flows: registry,
    presence,
    log,
    cache: sessionCache,
    classifier: classifierFromConfig(config, log),
    dedupTtlSeconds: config.bus.dedupTtlSeconds,
    sessionKeep: sessionHistoryKeep(config.responder),
    humanReplyPauseMinutes: config.router.humanReplyPauseMinutes,
    afterMedia: config.media.beforeRouting,
  });
  return {
    name: "router",
    stop: () => router.stop({ timeoutMs: 10_000 }),
    details: {
      flows: registry.ids(),
      defaultFlow: registry.default.id,
      classifier: Boolean(config.openai.apiKey),
    },
  };
};
