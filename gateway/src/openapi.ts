import { CreateIntegrationBody, UpdateIntegrationBody } from "@flank/shared";
import { z } from "zod";
import {
  Accepted,
  ConversationQuery,
  ConversationView,
  GetBody,
  HistoryResponse,
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
import { MEDIA_OPS } from "./openapi-media.js";
import { error, IDEMPOTENCY, type Op } from "./openapi-op.js";
import { EMBEDDED_SIGNUP_PATH, EmbeddedSignupBody } from "./routes/embedded-signup.js";
import { INTEGRATIONS_PATH } from "./routes/integrations.js";
import { WEBHOOK_PATHS } from "./routes/webhook.js";

type JsonSchema = Record<string, unknown>;

const json = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const OPS: Op[] = [
  ...WEBHOOK_PATHS.flatMap((path): Op[] => [
    {
      method: "get",
      path,
      summary: "Meta webhook verification: echoes hub.challenge when hub.verify_token matches",
      tag: "webhook",
      query: VerifyQuery,
      responses: {
        200: { description: "the challenge", contentType: "text/plain" },
        403: error("token mismatch"),
      },
    },
    {
      method: "post",
      path,
      summary: "Meta webhook: verified (X-Hub-Signature-256), normalized and appended to the bus before 200",
      tag: "webhook",
      headers: [
        {
          name: "X-Hub-Signature-256",
          description: "sha256=<hex HMAC of the body>, required with APP_SECRET",
        },
      ],
      body: z.record(z.string(), z.unknown()),
      responses: {
        200: {
          description: "events appended",
          schema: z.object({ received: z.number(), duplicates: z.number() }),
        },
        400: error("malformed JSON"),
        401: error("signature missing"),
        403: error("signature invalid"),
        413: error("body over 3 MB"),
        503: error(
          "bus unavailable, or more webhook bytes in flight than WEBHOOK_BODY_BUDGET_MB (`overloaded`, with Retry-After): Meta retries",
        ),
      },
    },
  ]),
  {
    method: "post",
    path: "/send",
    summary: "Send a text and wait (SEND_WAIT_MS) for Meta's answer",
    tag: "messages",
    auth: true,
    body: SendBody,
    headers: [IDEMPOTENCY],
    responses: {
      200: { description: "Meta's response", schema: z.record(z.string(), z.unknown()) },
      202: { description: "still queued when the wait ran out", schema: Queued },
      400: error("invalid input"),
      401: error("missing or invalid API key"),
      502: error("Meta refused the message (details: the Meta error)"),
      503: error("bus unavailable"),
    },
  },
  {
    method: "post",
    path: "/v1/messages",
    summary: "Queue any outbound message type",
    tag: "messages",
    auth: true,
    body: MessageBody,
    headers: [IDEMPOTENCY],
    responses: {
      202: { description: "queued", schema: Accepted },
      400: error("invalid input, naming the fields"),
      401: error("missing or invalid API key"),
      503: error("bus unavailable"),
    },
  },
  {
    method: "get",
    path: "/v1/messages/{id}",
    summary: "A message and its delivery status history",
    tag: "messages",
    auth: true,
    pathParams: ["id"],
    responses: { 200: { description: "the message", schema: StoredMessageView }, 404: error("unknown id") },
  },
  {
    method: "post",
    path: "/get",
    summary: "A user's messages, oldest first",
    tag: "history",
    auth: true,
    body: GetBody,
    responses: { 200: { description: "messages", schema: HistoryResponse }, 400: error("invalid input") },
  },
  {
    method: "get",
    path: "/v1/conversations",
    summary: "Conversations, most recently updated first",
    tag: "history",
    auth: true,
    query: ConversationQuery,
    responses: { 200: { description: "a page", schema: pageOf(ConversationView) }, 400: error("bad query") },
  },
  {
    method: "get",
    path: "/v1/conversations/{id}/messages",
    summary: "A conversation's messages, oldest first",
    tag: "history",
    auth: true,
    pathParams: ["id"],
    query: PageQuery,
    responses: {
      200: { description: "a page", schema: pageOf(StoredMessageView) },
      404: error("unknown conversation"),
    },
  },
  {
    method: "get",
    path: "/v1/stream",
    summary: "Live events as server-sent events (event: <topic>, data: the event JSON)",
    tag: "stream",
    auth: true,
    query: StreamQuery,
    responses: {
      200: { description: "text/event-stream", contentType: "text/event-stream" },
      429: error("STREAM_MAX_OPEN streams already open (Retry-After)"),
    },
  },
  ...AGENT_OPS,
  ...MEDIA_OPS,
  {
    method: "post",
    path: INTEGRATIONS_PATH,
    summary: "Creates an integration (a business number); secrets are stored encrypted and answered masked",
    tag: "integrations",
    auth: "admin",
    body: CreateIntegrationBody,
    responses: { 201: { description: "created" }, 400: error("names bad fields"), 409: error("taken") },
  },
  {
    method: "get",
    path: INTEGRATIONS_PATH,
    summary: "Lists integrations, secrets masked",
    tag: "integrations",
    auth: "admin",
    responses: { 200: { description: "the integrations" } },
  },
  ...(["get", "patch", "put", "delete"] as const).map(
    (method): Op => ({
      method,
      path: `${INTEGRATIONS_PATH}/{id}`,
      summary: {
        get: "One integration",
        patch: "Changes some fields",
        put: "Same as PATCH",
        delete: "Deletes it",
      }[method],
      tag: "integrations",
      auth: "admin",
      pathParams: ["id"],
      ...(method === "patch" || method === "put" ? { body: UpdateIntegrationBody } : {}),
      responses: {
        [method === "delete" ? 204 : 200]: { description: "done" },
        400: error("names bad fields"),
        404: error("unknown integration"),
        409: error("taken"),
      },
    }),
  ),
  {
    method: "post",
    path: EMBEDDED_SIGNUP_PATH,
    summary: "Embedded Signup: exchanges the code, subscribes the app to the WABA, creates the integration",
    tag: "integrations",
    auth: "admin",
    body: EmbeddedSignupBody,
    responses: {
      201: { description: "the integration" },
      400: error("names bad fields"),
      409: error("number already integrated"),
      502: error("Meta refused or could not be reached"),
      503: error("FB_APP_ID / FB_APP_SECRET not configured"),
    },
  },
  {
    method: "get",
    path: "/healthz",
    summary: "The process is up",
    tag: "ops",
    responses: { 200: { description: "up" } },
  },
  {
    method: "get",
    path: "/readyz",
    summary: "Bus and stores answer",
    tag: "ops",
    responses: {
      200: { description: "ready: `{ok: true, failed: []}`" },
      503: { description: '`{ok: false, failed: ["bus" | "stores"]}`: names what failed; why is in the log' },
    },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    tag: "ops",
    responses: { 200: { description: "text exposition format", contentType: "text/plain" } },
  },
];

const SECURITY = {
  api: [{ apiKey: [] }],
  admin: [{ adminKey: [] }],
  agent: [{ agentKey: [] }, { apiKey: [] }],
};

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
    summary: op.summary,
    tags: [op.tag],
    ...(op.auth ? { security: SECURITY[op.auth === true ? "api" : op.auth] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.upload ? { requestBody: { required: true, content: op.upload } } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: json(op.body),
                ...(op.example === undefined ? {} : { example: op.example }),
              },
            },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema
            ? {
                content: {
                  [r.contentType ?? "application/json"]: {
                    schema: json(r.schema),
                    ...(r.example === undefined ? {} : { example: r.example }),
                  },
                },
              }
            : {}),
        },
      ]),
    ),
  };
}

/** The OpenAPI 3.1 document of the gateway, generated from the same zod schemas the routes validate with. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
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
