import type { RunningService, ServiceContext } from "@flank/shared/lifecycle";
import { Registry } from "prom-client";
import { type StartOptions, startGateway } from "./gateway.js";

/** The gateway: HTTP (webhook and API) on the context's bus and stores; `opts` for embedded mode. */
export async function service(ctx: ServiceContext, opts: StartOptions = {}): Promise<RunningService> {
  const { config, log, bus, stores, redis, presence, healthLog, media, integrations } = ctx;
  const gateway = await startGateway(
    {
      config,
      bus,
      stores,
      log,
      presence,
      healthLog,
      registry: new Registry(),
      mediaStore: media,
      integrations,
      // With Redis, every instance shares one rate limit per key and per address.
      ...(redis ? { redis } : {}),
    },
    opts,
  );
  return { name: "gateway", stop: () => gateway.stop(), details: { port: gateway.port } };
}
