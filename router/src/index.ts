import { type Config, type Logger, once } from "@flank/shared";
import { createOpenAIClassifier, type IntentClassifier } from "./classifier.js";
import { createRouterWorker, type RouterDeps } from "./router-worker.js";

export * from "./classifier.js";
export * from "./decide.js";
export * from "./router-worker.js";

/** The intent classifier when an OpenAI key is configured, else none (rules only). */
export function classifierFromConfig(config: Config, log: Logger): IntentClassifier | undefined {
  if (!config.openai.apiKey) return undefined;
  return createOpenAIClassifier({
    apiKey: config.openai.apiKey,
    baseURL: config.openai.baseUrl,
    model: config.router.classifierModel,
    timeoutMs: config.router.classifierTimeoutMs,
    maxInFlight: config.responder.modelMaxInFlight,
    log: log.child({ component: "classifier" }),
  });
}

/** Embedded mode: the router on adapters the caller built; `stop()` is idempotent. */
export async function startRouter(deps: RouterDeps): Promise<{ stop(): Promise<void> }> {
  const worker = createRouterWorker(deps);
  await worker.start();
  return { stop: once(() => worker.stop()) };
}
