import {
  CreateIntegrationBody,
  type IntegrationService,
  integrationToWire,
  UpdateIntegrationBody,
} from "@flank/shared/integrations";
import { type Context, Hono } from "hono";
import type { GatewayEnv } from "../deps.js";
import { ApiError } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { jsonBody } from "../validate.js";
import { integrationFailure } from "./integration-errors.js";

export interface IntegrationRouteDeps {
  service: IntegrationService;
}

import { INTEGRATIONS_PATH } from "../api-paths.js";

export { INTEGRATIONS_PATH };

/**
 * The integrations API (docs/architecture.md "HTTP surface"), relative paths: mount at INTEGRATIONS_PATH behind
 * `requireApiKey(keys, "admin")`. Bodies are snake_case; every answer shows access_token and
 * app_secret masked (`****wxyz`).
 */
export function integrationRoutes(deps: IntegrationRouteDeps): Hono<GatewayEnv> {
  const { service } = deps;
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app, INTEGRATIONS_PATH);
  const notFound = (id: string) => new ApiError("not_found", `no integration ${id}`);

  on("createIntegration", async (c) => {
    const input = await jsonBody(c, CreateIntegrationBody);
    try {
      const created = await service.create(input);
      addLogFields(c, { integrationId: created.id });
      return c.json(integrationToWire(created), 201);
    } catch (err) {
      return integrationFailure(c, err);
    }
  });

  on("listIntegrations", async (c) => {
    const all = await service.list();
    return c.json({ count: all.length, integrations: all.map(integrationToWire) }, 200);
  });

  on("getIntegration", async (c) => {
    const found = await service.get(c.req.param("id"));
    if (!found) throw notFound(c.req.param("id"));
    return c.json(integrationToWire(found), 200);
  });

  // PUT and PATCH both change only the fields sent: nothing is cleared by leaving it out.
  const update = async (c: Context<GatewayEnv, "/:id">) => {
    const id = c.req.param("id");
    const patch = await jsonBody(c, UpdateIntegrationBody);
    try {
      const updated = await service.update(id, patch);
      if (!updated) throw notFound(id);
      addLogFields(c, { integrationId: id });
      return c.json(integrationToWire(updated), 200);
    } catch (err) {
      return integrationFailure(c, err);
    }
  };
  on("replaceIntegration", update);
  on("updateIntegration", update);

  on("deleteIntegration", async (c) => {
    if (!(await service.delete(c.req.param("id")))) throw notFound(c.req.param("id"));
    return c.body(null, 204);
  });

  return app;
}
