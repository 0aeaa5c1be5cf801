import {
  exchangeSignupCode,
  GraphSignupError,
  type IntegrationService,
  integrationToWire,
  subscribeAppToWaba,
} from "@flank/shared/integrations";
import { Hono } from "hono";
import type { Logger } from "pino";
import { EMBEDDED_SIGNUP_PATH } from "../api-paths.js";
import { EmbeddedSignupBody } from "../api-schemas.js";
import type { GatewayEnv } from "../deps.js";
import { errorBody } from "../errors.js";
import { routeOn } from "../mount-op.js";
import { addLogFields } from "../observe.js";
import { jsonBody } from "../validate.js";
import { integrationFailure } from "./integration-errors.js";

export { EMBEDDED_SIGNUP_PATH, EmbeddedSignupBody };

export interface EmbeddedSignupDeps {
  service: IntegrationService;
  /** config.whatsapp: graphApiBase, appId (FB_APP_ID), appSecret (APP_SECRET / FB_APP_SECRET). */
  graph: { graphApiBase: string; appId?: string; appSecret?: string };
  log: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * `POST /` (mount at `/api/v1/channels/whatsapp/embedded-signup`, behind the admin key):
 * exchanges the signup code for the business token, subscribes the app to the WABA, and creates
 * the integration with a generated verify token. 201 with the integration (secrets masked);
 * 502 with Meta's error when the Graph API refuses; 503 when the app id or secret is missing.
 */
export function embeddedSignupRoutes(deps: EmbeddedSignupDeps): Hono<GatewayEnv> {
  const { service, graph, log } = deps;
  const app = new Hono<GatewayEnv>();
  const on = routeOn(app, EMBEDDED_SIGNUP_PATH);

  on("completeEmbeddedSignup", async (c) => {
    const missing = [
      ...(graph.appId ? [] : ["FB_APP_ID"]),
      ...(graph.appSecret ? [] : ["FB_APP_SECRET (or APP_SECRET)"]),
    ];
    if (!graph.appId || !graph.appSecret) {
      return c.json(
        errorBody(c, "not_configured", `embedded signup needs ${missing.join(" and ")}`, { missing }),
        503,
      );
    }
    const body = await jsonBody(c, EmbeddedSignupBody);
    const opts = {
      graphApiBase: graph.graphApiBase,
      appId: graph.appId,
      appSecret: graph.appSecret,
      fetch: deps.fetch,
      timeoutMs: deps.timeoutMs,
    };
    let accessToken: string;
    try {
      accessToken = await exchangeSignupCode(opts, body.code);
      await subscribeAppToWaba(opts, body.waba_id, accessToken);
    } catch (err) {
      if (!(err instanceof GraphSignupError)) throw err;
      log.warn(
        { requestId: c.get("requestId"), step: err.step, status: err.status, wabaId: body.waba_id },
        "embedded signup refused by the Graph API",
      );
      return c.json(
        errorBody(c, "graph_error", err.message, {
          step: err.step,
          status: err.status,
          error: err.metaError,
        }),
        502,
      );
    }
    try {
      const created = await service.create({
        phoneNumberId: body.phone_number_id,
        wabaId: body.waba_id,
        accessToken,
        agentFlowId: body.agent_flow_id,
        organizationId: body.organization_id,
      });
      addLogFields(c, { integrationId: created.id, phoneNumberId: created.phoneNumberId });
      return c.json(integrationToWire(created), 201);
    } catch (err) {
      return integrationFailure(c, err);
    }
  });

  return app;
}
