import { randomBytes } from "node:crypto";
import { type GraphTestServer, type StatusTiming, startGraphServer } from "@flank/devtools";
import { service as gatewayService } from "@flank/gateway";
import { service as responderService } from "@flank/responder";
import { service as routerService } from "@flank/router";
import { createAgent } from "@flank/shared/agents";
import type { Bus } from "@flank/shared/bus";
import type { Config } from "@flank/shared/config";
import type { FlowRegistry } from "@flank/shared/flows";
import {
  createServiceContext,
  type Service,
  type Stoppable,
  stopAll,
  watchHealth,
} from "@flank/shared/lifecycle";
import type { Logger } from "@flank/shared/log";
import type { Stores } from "@flank/shared/store";
import { type Generated, simulatedParts, withLocalDefaults } from "./local-config.js";
import { createChats, flowNumbers } from "./playground/chats.js";
import { createPlayground } from "./playground/routes.js";

export interface EmbeddedOptions {
  /** Defaults to config.port; 0 picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. The playground answers to loopback names and to this one only. */
  hostname?: string;
  /** Replaces the flows read from FLOW / FLOW_DIRS. */
  flows?: FlowRegistry;
  /** When the simulator's status webhooks follow a send (faster in tests). */
  statusTiming?: Partial<StatusTiming>;
  /** Cuts the start short (Ctrl-C while connecting): startEmbedded then rejects with StartInterrupted. */
  signal?: AbortSignal;
}

export interface Embedded {
  url: string;
  /**
   * The playground with this run's token in the fragment (the page reads it from there, so it is
   * never sent in a URL); undefined when it is off: a real WHATSAPP_TOKEN, or NODE_ENV=production.
   */
  playgroundUrl?: string;
  /** Why there is no playground, when there is none. */
  playgroundOff?: string;
  consoleUrl: string;
  /** What is simulated rather than real, in words. */
  simulated: string[];
  /** Secrets generated for this run because the environment left them unset. */
  generated: Generated;
  /** The config the services run with (generated values filled in). */
  config: Config;
  /** The Cloud API simulator, when WHATSAPP_TOKEN is unset. */
  simulator?: GraphTestServer;
  bus: Bus;
  /** The stores the services share (memory unless STORE says otherwise). */
  stores: Stores;
  /** Idempotent: HTTP, then the workers, the simulator, the bus and the stores. */
  stop(): Promise<void>;
}

/**
 * Embedded mode (docs/architecture.md "The flow"): gateway, router and responder in one process, sharing one bus,
 * one set of stores, one agent presence and one session cache; the Cloud API simulator stands in
 * for Meta when there is no WHATSAPP_TOKEN. Any part the config points at a real server (BUS,
 * STORE, REDIS_URL…) is the real one.
 */
export async function startEmbedded(
  base: Config,
  root: Logger,
  opts: EmbeddedOptions = {},
): Promise<Embedded> {
  // Each part names itself (`service`); the root passed in names none (commands/start.ts).
  const log = root.child({ service: "flank" });
  const local = withLocalDefaults(base);
  let config = local.config;
  const components: Stoppable[] = [];
  const started = (c: Stoppable) => components.push(c);
  try {
    let simulator: GraphTestServer | undefined;
    if (local.simulateWhatsApp) {
      simulator = await startGraphServer({ token: config.whatsapp.token, statusTiming: opts.statusTiming });
      started({ name: "simulator", stop: () => simulator?.stop() ?? Promise.resolve() });
      config = { ...config, whatsapp: { ...config.whatsapp, graphApiBase: simulator.base } };
    }
    const ctx = await createServiceContext({
      config,
      log,
      name: "embedded",
      add: started,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.flows ? { flows: opts.flows } : {}),
    });
    const { bus, stores } = ctx;
    started(watchHealth({ bus, stores, healthLog: ctx.healthLog, log }));
    // A first run can open the console at once: a local agent on every number, gone at exit.
    if (config.store.kind === "memory" && (await stores.agents.list()).length === 0) {
      local.generated.agentKey = (
        await createAgent(stores.agents, { id: "local", name: "Local agent", tenants: ["*"] })
      ).key;
    }
    const flows = await ctx.flows();
    let webhookUrl = "";
    // It signs webhooks for whoever calls it and streams any user's conversation: only against
    // the simulator (a real token would message real people) and never in production.
    const playgroundOff = !local.simulateWhatsApp
      ? "WHATSAPP_TOKEN is set: the playground only runs against the Cloud API simulator"
      : config.env === "production"
        ? "NODE_ENV=production"
        : undefined;
    const playgroundToken = randomBytes(24).toString("base64url");
    const hostname = opts.hostname ?? "127.0.0.1";
    const playground = playgroundOff
      ? undefined
      : createPlayground({
          bus,
          log: log.child({ component: "playground" }),
          phoneNumberId: config.whatsapp.phoneNumberId ?? "",
          simulated: simulatedParts(config, local.simulateWhatsApp),
          flows: flows
            .ids()
            .map((id) => ({ id, ...(flows.get(id)?.name ? { name: flows.get(id)?.name } : {}) })),
          defaultFlowId: flows.default.id,
          chats: createChats({
            defaultFlowId: flows.default.id,
            defaultNumber: config.whatsapp.phoneNumberId ?? "",
            flowIds: flows.ids(),
            newNumber: flowNumbers(ctx.integrations, config.whatsapp.token ?? ""),
          }),
          stores,
          target: () => ({ url: webhookUrl, appSecret: config.whatsapp.appSecret }),
          token: playgroundToken,
          hosts: [hostname],
          ...(simulator ? { media: { simulator, store: ctx.media } } : {}),
        });
    // The services of the three processes, started in one loop on one context.
    const services: [string, Service][] = [
      ["router", routerService],
      ["responder", responderService],
      [
        "gateway",
        (ctx) =>
          gatewayService(ctx, {
            port: opts.port ?? config.port,
            hostname,
            mount: playground ? [{ path: "/playground", app: playground.app }] : [],
          }),
      ],
    ];
    let port = 0;
    for (const [name, service] of services) {
      const running = await service({ ...ctx, log: root.child({ service: name }) });
      started(running);
      if (name === "gateway") port = running.details?.port as number;
    }
    if (playground) started({ name: "playground", stop: async () => playground.close() });
    const url = `http://127.0.0.1:${port}`;
    webhookUrl = `${url}/webhook/whatsapp`;
    // Meta's part: status webhooks for every accepted send, signed, to our own webhook.
    simulator?.setWebhook({ url: webhookUrl, appSecret: config.whatsapp.appSecret });

    let stopping: Promise<void> | undefined;
    return {
      url,
      ...(playground ? { playgroundUrl: `${url}/playground#token=${playgroundToken}` } : {}),
      ...(playgroundOff ? { playgroundOff } : {}),
      consoleUrl: `${url}/console`,
      simulated: simulatedParts(config, local.simulateWhatsApp),
      generated: local.generated,
      config,
      ...(simulator ? { simulator } : {}),
      bus,
      stores,
      stop: () => {
        stopping ??= stopAll(components, log, 15_000).then(() => undefined);
        return stopping;
      },
    };
  } catch (err) {
    await stopAll(components, log, 5000);
    throw err;
  }
}
