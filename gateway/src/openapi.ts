import { CreateIntegrationBody, UpdateIntegrationBody } from "@flank/shared/integrations";
import { z } from "zod";
import {
  DOCS_PATH,
  EMBEDDED_SIGNUP_PATH,
  INTEGRATIONS_PATH,
  OPENAPI_PATH,
  WEBHOOK_PATHS,
} from "./api-paths.js";
import {
  Accepted,
  ConversationQuery,
  ConversationView,
  EmbeddedSignupBody,
  GetBody,
  HistoryResponse,
  IntegrationList,
  IntegrationView,
  MessageBody,
  PageQuery,
  pageOf,
  Queued,
  SendBody,
  StoredMessageView,
  StreamQuery,
  VerifyQuery,
} from "./api-schemas.js";
import { AGENT_OPS } from "./openapi-agents.js";
import {
  conversationExample,
  integrationCreateExample,
  integrationExample,
  sseExample,
  storedMessageExample,
  WAMID,
  webhookExample,
} from "./openapi-examples.js";
import { MEDIA_OPS } from "./openapi-media.js";
import { error, errorExample, IDEMPOTENCY, type Op, type OpResponse } from "./openapi-op.js";

type JsonSchema = Record<string, unknown>;

const json = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const webhookOps = (path: string, suffix: string): Op[] => [
  {
    method: "get",
    path,
    operationId: `verifyWebhook${suffix}`,
    summary: "Meta webhook verification: echoes hub.challenge when hub.verify_token matches",
    tag: "webhook",
    auth: "public",
    query: VerifyQuery,
    responses: {
      200: {
        description: "the challenge",
        contentType: "text/plain",
        schema: z.string(),
        example: "1158201444",
      },
      403: error("token mismatch"),
    },
  },
  {
    method: "post",
    path,
    operationId: `receiveWebhook${suffix}`,
    summary: "Meta webhook: verified (X-Hub-Signature-256), normalized and appended to the bus before 200",
    tag: "webhook",
    auth: "public",
    headers: [
      {
        name: "X-Hub-Signature-256",
        description: "sha256=<hex HMAC of the body>, required with APP_SECRET",
      },
    ],
    body: z.record(z.string(), z.unknown()),
    example: webhookExample,
    responses: {
      200: {
        description: "events appended",
        schema: z.object({ received: z.number(), duplicates: z.number() }),
        example: { received: 1, duplicates: 0 },
      },
      400: error("malformed JSON", "invalid_json"),
      401: error("signature missing", "signature_missing"),
      403: error("signature invalid", "signature_invalid"),
      413: error("body over 3 MB"),
      503: error(
        "bus unavailable, or more webhook bytes in flight than WEBHOOK_BODY_BUDGET_MB (`overloaded`, with Retry-After): Meta retries",
        "overloaded",
      ),
    },
  },
];

const Readiness = z.object({ ok: z.boolean(), failed: z.array(z.enum(["bus", "stores"])) });
const CHANGE_ERRORS: Op["responses"] = {
  400: error("names bad fields", "validation_failed"),
  409: error("taken"),
};
const E401 = error("missing or invalid API key", "unauthorized");
const conversationsPage = {
  items: [conversationExample],
  nextCursor: "eyJ1IjoiMjAyNi0wNi0wMVQxMDowMDowNS4wMDBaIn0",
};

/**
 * The route table: every operation of the gateway's API. mount-op.ts registers the routes from it
 * (the handlers, by operationId, stay in routes/*) and buildOpenApi documents it; routes/openapi.test.ts
 * fails on a registered route missing from it.
 */
export const ROUTE_TABLE: readonly Op[] = [
  ...webhookOps(WEBHOOK_PATHS[0], ""),
  ...webhookOps(WEBHOOK_PATHS[1], "Legacy"),
  ...webhookOps(WEBHOOK_PATHS[2], "Api"),
  {
    method: "post",
    path: "/send",
    operationId: "sendText",
    summary: "Send a text and wait (SEND_WAIT_MS) for Meta's answer",
    tag: "messages",
    auth: "api",
    body: SendBody,
    example: { number: "+16505551234", text: "Your order ships today." },
    headers: [IDEMPOTENCY],
    responses: {
      200: {
        description: "Meta's response",
        schema: z.record(z.string(), z.unknown()),
        example: {
          messaging_product: "whatsapp",
          contacts: [{ input: "+16505551234", wa_id: "16505551234" }],
          messages: [{ id: WAMID }],
        },
      },
      202: {
        description: "still queued when the wait ran out",
        schema: Queued,
        example: { id: "01JX3F8Q2V6K9T4N7C5B1M0ZAD", status: "queued" },
      },
      400: error("invalid input", "validation_failed"),
      401: E401,
      502: error("Meta refused the message (details: the Meta error)", "send_failed"),
      503: error("bus unavailable", "bus_unavailable"),
    },
  },
  {
    method: "post",
    path: "/v1/messages",
    operationId: "queueMessage",
    summary: "Queue any outbound message type",
    tag: "messages",
    auth: "api",
    body: MessageBody,
    example: {
      to: "+16505551234",
      message: {
        type: "buttons",
        body: "Did this answer your question?",
        buttons: [
          { id: "yes", title: "Yes" },
          { id: "no", title: "No" },
        ],
      },
    },
    headers: [IDEMPOTENCY],
    responses: {
      202: { description: "queued", schema: Accepted, example: { id: "01JX3F8Q2V6K9T4N7C5B1M0ZAD" } },
      400: error("invalid input, naming the fields", "validation_failed"),
      401: E401,
      503: error("bus unavailable", "bus_unavailable"),
    },
  },
  {
    method: "get",
    path: "/v1/messages/{id}",
    operationId: "getMessage",
    summary: "A message and its delivery status history",
    tag: "messages",
    auth: "api",
    pathParams: ["id"],
    responses: {
      200: { description: "the message", schema: StoredMessageView, example: storedMessageExample },
      401: E401,
      404: error("unknown id"),
    },
  },
  {
    method: "post",
    path: "/get",
    operationId: "getUserMessages",
    summary: "A user's messages, oldest first",
    tag: "history",
    auth: "api",
    body: GetBody,
    example: { number: "+16505551234", limit: 20 },
    responses: {
      200: {
        description: "messages",
        schema: HistoryResponse,
        example: {
          count: 1,
          messages: [
            {
              id: storedMessageExample.id,
              from: "16505551234",
              to: "15550001111",
              timestamp: "2026-06-01T10:00:00.000Z",
              type: "text",
              body: "Hi, where is my order?",
              raw: {},
            },
          ],
        },
      },
      400: error("invalid input", "validation_failed"),
      401: E401,
    },
  },
  {
    method: "get",
    path: "/v1/conversations",
    operationId: "listConversations",
    summary: "Conversations, most recently updated first",
    tag: "history",
    auth: "api",
    query: ConversationQuery,
    responses: {
      200: { description: "a page", schema: pageOf(ConversationView), example: conversationsPage },
      400: error("bad query", "validation_failed"),
      401: E401,
    },
  },
  {
    method: "get",
    path: "/v1/conversations/{id}/messages",
    operationId: "listConversationMessages",
    summary: "A conversation's messages, oldest first",
    tag: "history",
    auth: "api",
    pathParams: ["id"],
    query: PageQuery,
    responses: {
      200: {
        description: "a page",
        schema: pageOf(StoredMessageView),
        example: { items: [storedMessageExample] },
      },
      401: E401,
      404: error("unknown conversation"),
    },
  },
  {
    method: "get",
    path: "/v1/stream",
    operationId: "streamEvents",
    summary: "Live events as server-sent events (event: <topic>, data: the event JSON)",
    tag: "stream",
    auth: "api",
    query: StreamQuery,
    responses: {
      200: {
        description: "text/event-stream",
        contentType: "text/event-stream",
        schema: z.string(),
        example: sseExample,
      },
      401: E401,
      429: error("STREAM_MAX_OPEN streams already open (Retry-After)"),
    },
  },
  ...AGENT_OPS,
  ...MEDIA_OPS,
  {
    method: "post",
    path: INTEGRATIONS_PATH,
    operationId: "createIntegration",
    summary: "Creates an integration (a business number); secrets are stored encrypted and answered masked",
    tag: "integrations",
    auth: "admin",
    body: CreateIntegrationBody,
    example: integrationCreateExample,
    responses: {
      201: { description: "created", schema: IntegrationView, example: integrationExample },
      400: error("names bad fields", "validation_failed"),
      401: E401,
      409: error("taken"),
    },
  },
  {
    method: "get",
    path: INTEGRATIONS_PATH,
    operationId: "listIntegrations",
    summary: "Lists integrations, secrets masked",
    tag: "integrations",
    auth: "admin",
    responses: {
      200: {
        description: "the integrations",
        schema: IntegrationList,
        example: { count: 1, integrations: [integrationExample] },
      },
      401: E401,
    },
  },
  ...(["get", "patch", "put", "delete"] as const).map(
    (method): Op => ({
      method,
      path: `${INTEGRATIONS_PATH}/{id}`,
      operationId: {
        get: "getIntegration",
        patch: "updateIntegration",
        put: "replaceIntegration",
        delete: "deleteIntegration",
      }[method],
      summary: {
        get: "One integration",
        patch: "Changes some fields",
        put: "Same as PATCH: changes only the fields sent",
        delete: "Deletes it",
      }[method],
      tag: "integrations",
      auth: "admin",
      pathParams: ["id"],
      ...(method === "patch" || method === "put"
        ? { body: UpdateIntegrationBody, example: { agent_flow_id: "support", enabled: true } }
        : {}),
      responses: {
        ...(method === "delete"
          ? { 204: { description: "deleted" } }
          : {
              200: { description: "the integration", schema: IntegrationView, example: integrationExample },
            }),
        ...(method === "patch" || method === "put" ? CHANGE_ERRORS : {}),
        401: E401,
        404: error("unknown integration"),
      },
    }),
  ),
  {
    method: "post",
    path: EMBEDDED_SIGNUP_PATH,
    operationId: "completeEmbeddedSignup",
    summary: "Embedded Signup: exchanges the code, subscribes the app to the WABA, creates the integration",
    tag: "integrations",
    auth: "admin",
    body: EmbeddedSignupBody,
    example: { code: "AQBx3example", waba_id: "102290129340398", phone_number_id: "106540352242922" },
    responses: {
      201: { description: "the integration", schema: IntegrationView, example: integrationExample },
      400: error("names bad fields", "validation_failed"),
      401: E401,
      409: error("number already integrated"),
      502: error("Meta refused or could not be reached", "graph_error"),
      503: error("FB_APP_ID / FB_APP_SECRET not configured", "not_configured"),
    },
  },
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    summary: "The process is up",
    tag: "ops",
    auth: "public",
    responses: {
      200: { description: "up", schema: z.object({ ok: z.literal(true) }), example: { ok: true } },
    },
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "ready",
    summary: "Bus and stores answer",
    tag: "ops",
    auth: "public",
    responses: {
      200: { description: "ready", schema: Readiness, example: { ok: true, failed: [] } },
      503: {
        description: "names what failed; why is in the log",
        schema: Readiness,
        example: { ok: false, failed: ["bus"] },
      },
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics",
    tag: "ops",
    auth: "public",
    responses: {
      200: {
        description: "text exposition format",
        contentType: "text/plain",
        schema: z.string(),
        example:
          '# TYPE flank_http_requests_total counter\nflank_http_requests_total{method="POST",route="/send",status="200"} 3\n',
      },
    },
  },
  {
    method: "get",
    path: OPENAPI_PATH,
    operationId: "openapi",
    summary: "This document (OpenAPI 3.1)",
    tag: "ops",
    auth: "public",
    responses: {
      200: {
        description: "the OpenAPI document",
        schema: z.record(z.string(), z.unknown()),
        example: { openapi: "3.1.0", info: { title: "Flank gateway", version: "1" }, paths: {} },
      },
    },
  },
  {
    method: "get",
    path: DOCS_PATH,
    operationId: "docs",
    summary: "This document in a browsable viewer (served from the gateway itself)",
    tag: "ops",
    auth: "public",
    responses: {
      200: {
        description: "the viewer page",
        contentType: "text/html",
        schema: z.string(),
        example: "<!doctype html>…",
      },
    },
  },
];

const SECURITY = {
  api: [{ apiKey: [] }],
  admin: [{ adminKey: [] }],
  agent: [{ agentKey: [] }, { apiKey: [] }],
};

function response(status: number, r: OpResponse & { code?: Parameters<typeof errorExample>[2] }) {
  const example = r.example ?? (status >= 400 ? errorExample(status, r.description, r.code) : undefined);
  return {
    description: r.description,
    ...(r.schema
      ? {
          content: {
            [r.contentType ?? "application/json"]: {
              schema: json(r.schema),
              ...(example === undefined ? {} : { example }),
            },
          },
        }
      : {}),
  };
}

function operation(op: Op) {
  const query = op.query ? json(op.query) : {};
  const required = new Set((query.required as string[] | undefined) ?? []);
  const parameters = [
    ...(op.pathParams ?? []).map((name) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...Object.entries((query.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
      name,
      in: "query",
      required: required.has(name),
      schema,
    })),
    ...(op.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      description: h.description,
      schema: { type: "string" },
    })),
  ];
  return {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    // Public operations say so: `[]` overrides any document-wide requirement.
    security: op.auth === "public" ? [] : SECURITY[op.auth],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              [op.bodyType ?? "application/json"]: {
                schema: json(op.body),
                ...(op.example === undefined ? {} : { example: op.example }),
              },
            },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [status, response(Number(status), r)]),
    ),
  };
}

/** The OpenAPI 3.1 document of the gateway, generated from the same zod schemas the routes validate with. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ROUTE_TABLE) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operation(op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Flank gateway",
      version: "1",
      description:
        "Meta WhatsApp webhook receiver, the send, history, live-stream and agent API, and the integrations and agents admin API. API routes need `Authorization: Bearer <key>`: a key from API_KEYS (or ADMIN_API_KEYS) for send and read; an agent key (POST /v1/admin/agents) or an admin key for acting as an agent under /v1/agents; an ADMIN_API_KEYS key for integrations and agents. A key of the wrong kind gets 403; every API route may answer 429 when its rate limit is reached.",
    },
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "a key from API_KEYS or ADMIN_API_KEYS" },
        agentKey: {
          type: "http",
          scheme: "bearer",
          description: "an agent's key (acts as that agent on its numbers), or an admin key naming agentId",
        },
        adminKey: { type: "http", scheme: "bearer", description: "a key from ADMIN_API_KEYS" },
      },
    },
    paths,
  };
}
