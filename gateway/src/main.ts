import { createAgentPresence, runService } from "@flank/shared";
import { Registry } from "prom-client";
import { startGateway } from "./gateway.js";

/** The gateway process: HTTP on the shared bus and stores. */
void runService("gateway", async ({ config, log, bus, stores, redis, healthLog, add }) => {
  const presence = createAgentPresence(config, redis);
  // With Redis, every instance shares one rate limit per key and per address.
  const gateway = await startGateway({
    config,
    bus,
    stores,
    log,
    presence,
    healthLog,
    registry: new Registry(),
    ...(redis ? { redis } : {}),
  });
  add({ name: "gateway", stop: () => gateway.stop() });
  return { port: gateway.port };
});
