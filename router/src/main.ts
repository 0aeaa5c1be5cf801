import {
  createAgentPresence,
  createSessionCache,
  loadFlowRegistry,
  runService,
  sessionHistoryKeep,
} from "@flank/shared";
import { classifierFromConfig, startRouter } from "./index.js";

/** The router process: flows → worker on the shared bus, stores and Redis (CONVENTIONS 2–3). */
void runService("router", async ({ config, log, bus, stores, redis, add }) => {
  const flows = await loadFlowRegistry({ defaultFlow: config.flow, dirs: config.router.flowDirs });
  if (!redis)
    log.warn("no REDIS_URL: agent presence and the session cache are per process (fine for one instance)");
  const router = await startRouter({
    bus,
    stores,
    flows,
    presence: createAgentPresence(config, redis),
    log,
    cache: createSessionCache(config, redis, log),
    classifier: classifierFromConfig(config, log),
    dedupTtlSeconds: config.bus.dedupTtlSeconds,
    sessionKeep: sessionHistoryKeep(config.responder),
    humanReplyPauseMinutes: config.router.humanReplyPauseMinutes,
    afterMedia: config.media.beforeRouting,
  });
  add({ name: "router", stop: () => router.stop({ timeoutMs: 10_000 }) });
  return { flows: flows.ids(), defaultFlow: flows.default.id, classifier: Boolean(config.openai.apiKey) };
});
