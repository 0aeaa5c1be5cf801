import { Hono } from "hono";
import type { GatewayContext, GatewayEnv } from "../deps.js";

/** Health and metrics: no API key (probes and Prometheus scrape them). */
export function opsRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get("/healthz", (c) => c.json({ ok: true }, 200));

  app.get("/readyz", async (c) => {
    const settle = <T>(p: Promise<T>) =>
      p.catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }));
    const [bus, stores] = await Promise.all([settle(ctx.bus.health()), settle(ctx.stores.health())]);
    const failed = [...(bus.ok ? [] : ["bus"]), ...(stores.ok ? [] : ["stores"])];
    return c.json({ ok: failed.length === 0, failed, bus, stores }, failed.length === 0 ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    const body = await ctx.registry.metrics();
    return c.body(body, 200, { "Content-Type": ctx.registry.contentType });
  });

  return app;
}
