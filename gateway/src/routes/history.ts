import { Hono } from "hono";
import { ConversationQuery, GetBody, PageQuery } from "../api-schemas.js";
import type { GatewayContext, GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { userKey } from "../outbound.js";
import { jsonBody, queryOf } from "../validate.js";

/** Reading: the compatible `POST /get` and the paged conversation API. */
export function historyRoutes(ctx: GatewayContext): Hono<GatewayEnv> {
  const { stores } = ctx;
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app);

  on("getUserMessages", async (c) => {
    const body = await jsonBody(c, GetBody);
    const rows = await stores.messages.listByUser(userKey(body.number), body.limit);
    const messages = rows.map((m) => ({
      id: m.id,
      from: m.from,
      to: m.to,
      timestamp: m.timestamp,
      type: m.type,
      body: m.body,
      raw: m.raw,
    }));
    return c.json({ count: messages.length, messages }, 200);
  });

  on("listConversations", async (c) => {
    const q = queryOf(c, ConversationQuery);
    const page = await stores.conversations.list(
      { tenant: q.tenant, route: q.route, stage: q.stage, agentId: q.agent },
      { limit: q.limit, cursor: q.cursor },
    );
    return c.json(page, 200);
  });

  on("listConversationMessages", async (c) => {
    const id = c.req.param("id");
    const q = queryOf(c, PageQuery);
    const page = await stores.messages.listByConversation(id, { limit: q.limit, cursor: q.cursor });
    if (page.items.length === 0 && !q.cursor && !(await stores.conversations.get(id))) {
      throw new ApiError("not_found", `no conversation ${id}`);
    }
    return c.json(page, 200);
  });

  return app;
}
