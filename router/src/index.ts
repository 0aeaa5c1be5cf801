import type { Config, Logger } from "@flank/shared";
import { createOpenAIClassifier, type IntentClassifier } from "./classifier.js";
import { createRouterWorker, type RouterDeps } from "./router-worker.js";
import { createSyncWorker } from "./sync-worker.js";

export * from "./classifier.js";
export * from "./decide.js";
export * from "./router-worker.js";
export * from "./sync-worker.js";

/** The intent classifier when an OpenAI key is configured, else none (rules only). */
export function classifierFromConfig(config: Config, log: Logger): IntentClassifier | undefined {
  if (!config.openai.apiKey) return undefined;
  return createOpenAIClassifier({
    apiKey: config.openai.apiKey,
    baseURL: config.openai.baseUrl,
    model: config.router.classifierModel,
    timeoutMs: config.router.classifierTimeoutMs,
    log: log.child({ component: "classifier" }),
  });
}

/**
 * The router's two consumers on adapters the caller built (main.ts and the embedded mode): the
 * router worker (inbound.message) and the sync worker (echoes, history, preferences, templates,
 * calls, account notices). `stop()` is idempotent.
 */
export async function startRouter(
  deps: RouterDeps,
): Promise<{ stop(opts?: { timeoutMs?: number }): Promise<void> }> {
  const worker = createRouterWorker(deps);
  const sync = createSyncWorker(deps);
  await worker.start();
  try {
    await sync.start();
  } catch (err) {
    await worker.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    stop: (opts = {}) => {
      stopping ??= Promise.all([worker.stop(opts), sync.stop(opts)]).then(() => undefined);
      return stopping;
    },
  };
}
