import type { Route } from "@flank/shared/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_OPS } from "../openapi-agents.js";
import {
  ADMIN,
  AUTH,
  agentKey,
  makeApp,
  PNID,
  seedConversation,
  startCommandWorker,
} from "../test-harness.js";

// Every status /openapi.json documents for the agent routes is one the route really answers, and
// every status a route answers is documented: each is provoked here and compared.

const OTHER = "222222222222222";
const BAD = { authorization: "Bearer not-a-key-0123456789" };
type Key = Record<string, string>;

describe("agent routes: documented statuses are the real ones", () => {
  const t = makeApp();
  // The same stores without a router: agent calls answer 202 when no answer comes in time.
  const noRouter = makeApp({ stores: t.stores, commandWaitMs: 20 });
  let ana: Key = {};
  let seq = 0;
  let stopCommands = async () => {};
  beforeAll(async () => {
    stopCommands = await startCommandWorker(t);
    ana = await agentKey(t.app, { id: "ana", name: "ana", tenants: [PNID] });
    await agentKey(t.app, { id: "bob", name: "bob", tenants: ["*"] });
    await agentKey(t.app, { id: "cy", name: "cy", tenants: [OTHER] });
  });
  afterAll(async () => {
    await stopCommands();
    await Promise.all([t.inner.close(), noRouter.inner.close()]);
  });

  const call = async (method: string, path: string, key: Key, body?: unknown, app = t.app) => {
    const res = await app.request(path, {
      method,
      headers: { "content-type": "application/json", ...key },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    await res.body?.cancel();
    return res.status;
  };
  /** A new conversation (own user id) on a route, of PNID unless told. */
  const conv = async (route: Route = "bot", tenant = PNID) => {
    const user = `u${++seq}`;
    await seedConversation(t, user, route, {}, tenant);
    return `/v1/agents/conversations/${tenant}:${user}`;
  };
  const missing = `/v1/agents/conversations/${PNID}:nobody`;

  type Scenario = [status: number, run: () => Promise<number>];
  const conversationAction = (action: string, ok: Route, body: unknown, more: Scenario[]): Scenario[] => [
    [action === "reply" ? 202 : 200, async () => call("POST", `${await conv(ok)}/${action}`, ana, body)],
    [401, async () => call("POST", `${await conv(ok)}/${action}`, BAD, body)],
    [403, async () => call("POST", `${await conv(ok, OTHER)}/${action}`, ana, body)],
    [404, () => call("POST", `${missing}/${action}`, ana, body)],
    ...(action === "reply"
      ? []
      : ([
          [202, async () => call("POST", `${await conv(ok)}/${action}`, ana, body, noRouter.app)],
          [
            503,
            async () => {
              const path = `${await conv(ok)}/${action}`;
              t.bus.failNext = 1;
              return call("POST", path, ana, body);
            },
          ],
        ] satisfies Scenario[])),
    ...more,
  ];

  const scenarios: Record<string, Scenario[]> = {
    "get /v1/agents": [
      [200, () => call("GET", "/v1/agents", ana)],
      [400, () => call("GET", "/v1/agents?tenant=", ana)],
      [401, () => call("GET", "/v1/agents", BAD)],
      [403, () => call("GET", `/v1/agents?tenant=${OTHER}`, ana)],
    ],
    "get /v1/agents/me": [
      [200, () => call("GET", "/v1/agents/me", ana)],
      [401, () => call("GET", "/v1/agents/me", BAD)],
      [403, () => call("GET", "/v1/agents/me", ADMIN)],
    ],
    "get /v1/agents/counts": [
      [200, () => call("GET", "/v1/agents/counts", ana)],
      [401, () => call("GET", "/v1/agents/counts", BAD)],
    ],
    "get /v1/agents/stream": [
      [200, () => call("GET", "/v1/agents/stream", ana)],
      [400, () => call("GET", "/v1/agents/stream?tenant=", ana)],
      [401, () => call("GET", "/v1/agents/stream", BAD)],
      [403, () => call("GET", `/v1/agents/stream?tenant=${OTHER}`, ana)],
    ],
    ...Object.fromEntries(
      ["heartbeat", "offline"].map((action) => [
        `post /v1/agents/{agentId}/${action}`,
        [
          [200, () => call("POST", `/v1/agents/ana/${action}`, ana)],
          [400, () => call("POST", `/v1/agents/bad%20id/${action}`, ADMIN)],
          [401, () => call("POST", `/v1/agents/ana/${action}`, BAD)],
          [403, () => call("POST", `/v1/agents/bob/${action}`, ana)],
        ] satisfies Scenario[],
      ]),
    ),
    "get /v1/agents/conversations": [
      [200, () => call("GET", "/v1/agents/conversations", ana)],
      [400, () => call("GET", "/v1/agents/conversations?limit=0", ana)],
      [401, () => call("GET", "/v1/agents/conversations", BAD)],
      [403, () => call("GET", `/v1/agents/conversations?tenant=${OTHER}`, ana)],
    ],
    "get /v1/agents/conversations/{id}": [
      [200, async () => call("GET", await conv(), ana)],
      [401, async () => call("GET", await conv(), BAD)],
      [403, async () => call("GET", await conv("bot", OTHER), ana)],
      [404, () => call("GET", missing, ana)],
    ],
    "get /v1/agents/conversations/{id}/messages": [
      [200, async () => call("GET", `${await conv()}/messages`, ana)],
      [400, async () => call("GET", `${await conv()}/messages?limit=0`, ana)],
      [401, async () => call("GET", `${await conv()}/messages`, BAD)],
      [403, async () => call("GET", `${await conv("bot", OTHER)}/messages`, ana)],
      [404, () => call("GET", `${missing}/messages`, ana)],
    ],
    "post /v1/agents/conversations/{id}/take": conversationAction("take", "queue", {}, [
      [400, async () => call("POST", `${await conv()}/take`, ADMIN, {})],
      [403, async () => call("POST", `${await conv()}/take`, AUTH, { agentId: "ana" })],
      [409, async () => call("POST", `${await conv("agent:bob")}/take`, ana, {})],
    ]),
    "post /v1/agents/conversations/{id}/reply": conversationAction("reply", "agent:ana", { text: "hi" }, [
      [
        400,
        async () =>
          call("POST", `${await conv("agent:ana")}/reply`, ana, {
            text: "a",
            message: { type: "text", body: "b" },
          }),
      ],
      [
        403,
        async () => call("POST", `${await conv("agent:ana")}/reply`, AUTH, { agentId: "ana", text: "hi" }),
      ],
      [409, async () => call("POST", `${await conv("bot")}/reply`, ana, { text: "hi" })],
      [
        503,
        async () => {
          const path = `${await conv("agent:ana")}/reply`;
          t.bus.failNext = 1;
          return call("POST", path, ana, { text: "hi" });
        },
      ],
    ]),
    "post /v1/agents/conversations/{id}/release": conversationAction("release", "agent:ana", {}, [
      [400, async () => call("POST", `${await conv("agent:ana")}/release`, ADMIN, { reason: 5 })],
      [403, async () => call("POST", `${await conv("agent:ana")}/release`, AUTH, { agentId: "ana" })],
      [409, async () => call("POST", `${await conv("agent:bob")}/release`, ana, {})],
    ]),
    "post /v1/agents/conversations/{id}/transfer": conversationAction(
      "transfer",
      "agent:ana",
      { to: "bob" },
      [
        [400, async () => call("POST", `${await conv("agent:ana")}/transfer`, ana, {})],
        [
          403,
          async () =>
            call("POST", `${await conv("agent:ana")}/transfer`, AUTH, { agentId: "ana", to: "bob" }),
        ],
        [409, async () => call("POST", `${await conv("agent:ana")}/transfer`, ana, { to: "cy" })],
      ],
    ),
    "post /v1/agents/conversations/{id}/read": conversationAction("read", "agent:ana", {}, [
      [400, async () => call("POST", `${await conv("agent:ana")}/read`, ana, "[1]")],
    ]),
    "post /v1/agents/conversations/{id}/handoff": conversationAction("handoff", "bot", {}, [
      [400, async () => call("POST", `${await conv()}/handoff`, ana, { reason: "x".repeat(201) })],
      [409, async () => call("POST", `${await conv("agent:bob")}/handoff`, ana, {})],
    ]),
    "post /v1/admin/agents": [
      [
        201,
        () => call("POST", "/v1/admin/agents", ADMIN, { id: `new${++seq}`, name: "New", tenants: ["*"] }),
      ],
      [400, () => call("POST", "/v1/admin/agents", ADMIN, { id: "x" })],
      [401, () => call("POST", "/v1/admin/agents", BAD, {})],
      [403, () => call("POST", "/v1/admin/agents", AUTH, {})],
      [409, () => call("POST", "/v1/admin/agents", ADMIN, { id: "ana", name: "Ana", tenants: ["*"] })],
    ],
    "get /v1/admin/agents": [
      [200, () => call("GET", "/v1/admin/agents", ADMIN)],
      [401, () => call("GET", "/v1/admin/agents", BAD)],
      [403, () => call("GET", "/v1/admin/agents", ana)],
    ],
    "get /v1/admin/agents/{id}": [
      [200, () => call("GET", "/v1/admin/agents/bob", ADMIN)],
      [401, () => call("GET", "/v1/admin/agents/bob", BAD)],
      [403, () => call("GET", "/v1/admin/agents/bob", AUTH)],
      [404, () => call("GET", "/v1/admin/agents/nobody", ADMIN)],
    ],
    "patch /v1/admin/agents/{id}": [
      [200, () => call("PATCH", "/v1/admin/agents/cy", ADMIN, { name: "Cy" })],
      [400, () => call("PATCH", "/v1/admin/agents/cy", ADMIN, {})],
      [401, () => call("PATCH", "/v1/admin/agents/cy", BAD, { name: "Cy" })],
      [403, () => call("PATCH", "/v1/admin/agents/cy", ana, { name: "Cy" })],
      [404, () => call("PATCH", "/v1/admin/agents/nobody", ADMIN, { name: "Cy" })],
    ],
    "post /v1/admin/agents/{id}/key": [
      [200, () => call("POST", "/v1/admin/agents/cy/key", ADMIN)],
      [401, () => call("POST", "/v1/admin/agents/cy/key", BAD)],
      [403, () => call("POST", "/v1/admin/agents/cy/key", AUTH)],
      [404, () => call("POST", "/v1/admin/agents/nobody/key", ADMIN)],
    ],
  };

  it("covers every documented agent operation", () => {
    expect(AGENT_OPS.map((op) => `${op.method} ${op.path}`).sort()).toEqual(Object.keys(scenarios).sort());
  });

  it.each(AGENT_OPS.map((op) => [`${op.method} ${op.path}`, op] as const))("%s", async (name, op) => {
    const documented = Object.keys(op.responses).map(Number).sort();
    const list = scenarios[name] ?? [];
    expect([...new Set(list.map(([status]) => status))].sort()).toEqual(documented);
    for (const [status, run] of list) expect(await run(), `${name} → ${status}`).toBe(status);
  });

  it("publishes them in /openapi.json with request bodies and examples", async () => {
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { example?: unknown; schema: { properties?: object } }> };
            responses: object;
            security: object[];
          }
        >
      >;
    };
    for (const op of AGENT_OPS) {
      const documented = doc.paths[op.path]?.[op.method];
      expect(documented, `${op.method} ${op.path}`).toBeDefined();
      expect(
        Object.keys(documented?.responses ?? {})
          .map(Number)
          .sort(),
      ).toEqual(Object.keys(op.responses).map(Number).sort());
      if (op.method !== "get" && op.body) {
        const json = documented?.requestBody?.content["application/json"];
        expect(json?.example, `${op.path} example`).toBeDefined();
      }
    }
    const reply = doc.paths["/v1/agents/conversations/{id}/reply"]?.post;
    expect(Object.keys(reply?.requestBody?.content["application/json"]?.schema.properties ?? {})).toEqual([
      "agentId",
      "text",
      "message",
    ]);
    expect(reply?.security).toEqual([{ agentKey: [] }, { apiKey: [] }]);
    expect(doc.paths["/v1/admin/agents"]?.post?.security).toEqual([{ adminKey: [] }]);
  });
});
