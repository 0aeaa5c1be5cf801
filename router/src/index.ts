import type { Config } from "@flank/shared/config";
import type { Logger } from "@flank/shared/log";
import { createOpenAIClassifier, type IntentClassifier } from "./classifier.js";
import { createCommandWorker } from "./command-worker.js";
import { createHandoffNotifier } from "./handoff-notifier.js";
import { createRouterWorker, type RouterDeps } from "./router-worker.js";
import { createSyncWorker } from "./sync-worker.js";

export * from "./classifier.js";
export * from "./command-worker.js";
export * from "./decide.js";
export * from "./handoff-notice.js";
export * from "./handoff-notifier.js";
export * from "./router-worker.js";
export * from "./sync-worker.js";

/** The intent classifier when an OpenAI key is configured, else none (rules only). */
export function classifierFromConfig(config: Config, log: Logger): IntentClassifier | undefined {
  if (!config.openai.apiKey) return undefined;
  return createOpenAIClassifier({
    apiKey: config.openai.apiKey,
    baseURL: config.openai.baseUrl,
    organization: config.openai.organization,
    project: config.openai.project,
    model: config.router.classifierModel,
    timeoutMs: config.router.classifierTimeoutMs,
    maxInFlight: config.responder.modelMaxInFlight,
    log: log.child({ component: "classifier" }),
  });
}

/**
 * The router's consumers: routing inbound messages, telling users about handoffs, the sync
 * worker (echoes, history, preferences, templates, calls, account notices) and the agent API's
 * commands.
 */
export function createRouter(deps: RouterDeps) {
  const parts = [
    createRouterWorker(deps),
    createHandoffNotifier({
      bus: deps.bus,
      conversations: deps.stores.conversations,
      flows: deps.flows,
      presence: deps.presence,
      agents: deps.stores.agents,
      log: deps.log.child({ component: "handoff-notices" }),
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
    createSyncWorker(deps),
    createCommandWorker(deps),
  ];
  return {
    async start() {
      const started: typeof parts = [];
      try {
        for (const part of parts) {
          await part.start();
          started.push(part);
        }
      } catch (err) {
        await Promise.all(started.map((part) => part.stop()));
        throw err;
      }
    },
    async stop(opts: { timeoutMs?: number } = {}) {
      await Promise.all(parts.map((part) => part.stop(opts)));
    },
  };
}

/** The router started on adapters the caller built (main.ts and the embedded mode); `stop()` is idempotent. */
export async function startRouter(
  deps: RouterDeps,
): Promise<{ stop(opts?: { timeoutMs?: number }): Promise<void> }> {
  const router = createRouter(deps);
  await router.start();
  let stopping: Promise<void> | undefined;
  return {
    stop: (opts = {}) => {
      stopping ??= router.stop(opts);
      return stopping;
    },
  };
}
export { service } from "./service.js";
