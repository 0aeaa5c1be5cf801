import { type Context, Hono } from "hono";
import { MessageBody, SendBody } from "../api-schemas.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError, errorBody } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { idempotencyKeyOf, submitOutbound, userKey } from "../outbound.js";
import { jsonBody } from "../validate.js";

/** Sending: the compatible `POST /send` (waits for the result) and `POST /v1/messages` (queues). */
export function messageRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);

  on("sendText", async (c) => {
    const body = await jsonBody(c, SendBody);
    const key = idempotencyKeyOf(c.req.header("idempotency-key"));
    const pending = await ctx.results.expect(key).catch((err: unknown) => {
      throw new ApiError("bus_unavailable", "event bus unavailable; retry later", undefined, err);
    });
    try {
      await submitOutbound(
        ctx,
        {
          to: `+${userKey(body.number)}`,
          message: { type: "text", body: body.text },
          phoneNumberId: body.phoneNumberId,
        },
        key,
        "api",
      );
    } catch (err) {
      pending.cancel();
      throw err;
    }
    const result = await pending.wait(ctx.config.gateway.sendWaitMs);
    addLogFields(c, { idempotencyKey: key, outcome: result?.status ?? "queued" });
    if (!result) return c.json({ id: key, status: "queued" as const }, 202);
    if (result.status === "sent") {
      return c.json(
        result.response ?? { messaging_product: "whatsapp", messages: [{ id: result.wamid }] },
        200,
      );
    }
    return c.json({ ...errorBody(c, "send_failed", sendFailure(result.error), result.error), id: key }, 502);
  });

  on("queueMessage", async (c) => {
    const body = await jsonBody(c, MessageBody);
    const key = idempotencyKeyOf(c.req.header("idempotency-key"));
    await submitOutbound(ctx, body, key, "api");
    addLogFields(c, { idempotencyKey: key, type: body.message.type });
    return c.json({ id: key }, 202);
  });

  on("getMessage", async (c: Context<GatewayEnv>) => {
    const id = c.req.param("id") ?? "";
    const message = await ctx.stores.messages.get(id);
    if (!message) throw new ApiError("not_found", `no message ${id}`);
    return c.json(message, 200);
  });

  return app;
}

const sendFailure = (error: { code: number; title?: string; message?: string } | undefined) =>
  error ? `Meta error ${error.code}: ${error.message ?? error.title ?? "send failed"}` : "send failed";
