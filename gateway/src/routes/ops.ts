import type { PartHealth } from "@flank/shared/lifecycle";
import { Hono } from "hono";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { routeOn } from "../mount-op.js";

/** Health and metrics: no API key (probes and Prometheus scrape them). */
export function opsRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);

  on("health", (c) => c.json({ ok: true }, 200));

  // Unauthenticated: the answer names what failed, the why (hosts, driver errors) goes to the log.
  on("ready", async (c) => {
    const settle = (p: Promise<PartHealth>) =>
      p.catch(
        (err: unknown): PartHealth => ({
          ok: false,
          detail: err instanceof Error ? err.message : String(err),
        }),
      );
    const [bus, stores] = await Promise.all([settle(ctx.bus.health()), settle(ctx.stores.health())]);
    ctx.healthLog("bus", bus);
    ctx.healthLog("stores", stores);
    const failed = [...(bus.ok ? [] : ["bus"]), ...(stores.ok ? [] : ["stores"])];
    return c.json({ ok: failed.length === 0, failed }, failed.length === 0 ? 200 : 503);
  });

  on("metrics", async (c) => {
    const body = await ctx.registry.metrics();
    return c.body(body, 200, { "Content-Type": ctx.registry.contentType });
  });

  return app;
}
