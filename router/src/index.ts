import { type Config, type Logger, once } from "@flank/shared";
import { createOpenAIClassifier, type IntentClassifier } from "./classifier.js";
import { createHandoffNotifier } from "./handoff-notifier.js";
import { createRouterWorker, type RouterDeps } from "./router-worker.js";

export * from "./classifier.js";
export * from "./decide.js";
export * from "./handoff-notice.js";
export * from "./handoff-notifier.js";
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

/** The router's two consumers: routing inbound messages, and telling users about handoffs. */
export function createRouter(deps: RouterDeps) {
  const worker = createRouterWorker(deps);
  const notifier = createHandoffNotifier({
    bus: deps.bus,
    conversations: deps.stores.conversations,
    flows: deps.flows,
    presence: deps.presence,
    agents: deps.stores.agents,
    log: deps.log.child({ component: "handoff-notices" }),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  return {
    async start() {
      await worker.start();
      await notifier.start();
    },
    async stop(opts: { timeoutMs?: number } = {}) {
      await Promise.all([worker.stop(opts), notifier.stop(opts)]);
    },
  };
}

/** Embedded mode: the router on adapters the caller built; `stop()` is idempotent. */
export async function startRouter(deps: RouterDeps): Promise<{ stop(): Promise<void> }> {
  const router = createRouter(deps);
  await router.start();
  return { stop: once(() => router.stop()) };
}
