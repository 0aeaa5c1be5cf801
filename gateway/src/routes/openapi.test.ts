import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { DOCS_PATH, OPENAPI_PATH } from "../api-paths.js";
import { buildOpenApi, ROUTE_TABLE } from "../openapi.js";
import type { Op } from "../openapi-op.js";
import { makeApp } from "../test-harness.js";
import { CONSOLE_PATH } from "./console.js";
import { DOCS_ASSET_PATHS } from "./docs.js";

// The route table (openapi.ts) is the one list of the API: the app registers its routes from it
// and /openapi.json documents it. These tests hold both sides to it.

/** Registered routes that are not API operations: the console's page and files, the viewer's files. */
const NOT_OPERATIONS = [
  `GET ${CONSOLE_PATH}`,
  `GET ${CONSOLE_PATH}/console.css`,
  `GET ${CONSOLE_PATH}/app/:file`,
  ...DOCS_ASSET_PATHS.map((p) => `GET ${p}`),
];

const hono = (p: string) => p.replace(/\{([^}]+)\}/g, ":$1");
const key = (op: Pick<Op, "method" | "path">) => `${op.method.toUpperCase()} ${hono(op.path)}`;

type Json = Record<string, unknown>;
type Operation = {
  operationId?: string;
  summary?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Json; example?: unknown }> }
  >;
};
const doc = buildOpenApi() as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ method, path, op })),
);

describe("the route table", () => {
  it("registers every API route of the app, and nothing else outside the listed exceptions", () => {
    const { app } = makeApp();
    const registered = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/\/$/, "") || "/"}`),
    );
    const inTable = ROUTE_TABLE.map(key);
    expect([...registered].filter((r) => !inTable.includes(r) && !NOT_OPERATIONS.includes(r))).toEqual([]);
    expect(inTable.filter((r) => !registered.has(r))).toEqual([]);
    expect(NOT_OPERATIONS.filter((r) => !registered.has(r))).toEqual([]);
  });

  it("throws when a route module names an operation the table lacks", async () => {
    const { Hono } = await import("hono");
    const { routeOn } = await import("../mount-op.js");
    expect(() => routeOn(new Hono())("noSuchOperation", (c) => c.text("x"))).toThrow(
      /not in the route table/,
    );
    expect(() => routeOn(new Hono(), "/v1/admin/agents")("sendText", (c) => c.text("x"))).toThrow(
      /not under/,
    );
  });

  it("keeps its auth in step with the key check: public operations take no key, the rest answer 401 without one", async () => {
    const { app } = makeApp();
    const wrong: string[] = [];
    for (const op of ROUTE_TABLE) {
      // Streams included: without a key they are refused before they open.
      const path = op.path.replace(/\{[^}]+\}/g, "x");
      const res = await app.request(path, {
        method: op.method.toUpperCase(),
        ...(op.body ? { body: "{}", headers: { "content-type": "application/json" } } : {}),
      });
      const refused = res.status === 401 && res.headers.has("www-authenticate");
      if (refused !== (op.auth !== "public")) wrong.push(`${key(op)} → ${res.status}`);
      await res.body?.cancel();
    }
    expect(wrong).toEqual([]);
  });
});

describe("/openapi.json", () => {
  it("gives every operation a unique operationId, a summary and the security it really has", () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op } of operations) {
      const row = ROUTE_TABLE.find((r) => r.method === method && r.path === path);
      expect(op.summary, `${method} ${path}`).toMatch(/\w{3,}/);
      expect(op.security, `${method} ${path}`).toEqual(row?.auth === "public" ? [] : expect.any(Array));
      if (row?.auth !== "public") expect(op.security?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    const publicOps = operations.filter(({ op }) => op.security?.length === 0).map((o) => o.path);
    expect(new Set(publicOps)).toEqual(
      new Set([
        "/webhook/whatsapp",
        "/webhook",
        "/api/v1/webhooks/whatsapp",
        "/healthz",
        "/readyz",
        "/metrics",
        OPENAPI_PATH,
        DOCS_PATH,
      ]),
    );
  });

  it("documents each request body with an example, on every operation that takes one", () => {
    for (const row of ROUTE_TABLE) {
      const op = doc.paths[row.path]?.[row.method];
      const takesBody = row.method !== "get" && row.method !== "delete" && row.body !== undefined;
      expect(Boolean(op?.requestBody), key(row)).toBe(takesBody);
      const media = op?.requestBody?.content[row.bodyType ?? "application/json"];
      if (takesBody) expect(media?.example, key(row)).toBeDefined();
    }
    // Every POST/PUT/PATCH that reads a JSON body has one in the table (those that read none: listed).
    const bodiless = ROUTE_TABLE.filter((r) => r.method !== "get" && r.method !== "delete" && !r.body).map(
      key,
    );
    expect(bodiless.sort()).toEqual(
      [
        "POST /v1/admin/agents/:id/key",
        "POST /v1/agents/:agentId/heartbeat",
        "POST /v1/agents/:agentId/offline",
      ].sort(),
    );
  });

  it("gives every answer with a body an example", () => {
    const missing = operations.flatMap(({ method, path, op }) =>
      Object.entries(op.responses).flatMap(([status, r]) =>
        Object.entries(r.content ?? {})
          .filter(([, media]) => media.example === undefined)
          .map(([type]) => `${method} ${path} ${status} ${type}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it("has examples that parse with the schemas the routes validate with", () => {
    const bad: string[] = [];
    const check = (where: string, schema: z.ZodType | undefined, example: unknown) => {
      if (!schema || example === undefined) return;
      const result = schema.safeParse(example);
      if (!result.success) bad.push(`${where}: ${result.error.message}`);
    };
    for (const row of ROUTE_TABLE) {
      check(`${key(row)} request`, row.body, row.example);
      for (const [status, r] of Object.entries(row.responses))
        check(`${key(row)} ${status}`, r.schema, r.example);
    }
    expect(bad).toEqual([]);
    // The generated error examples are ErrorBody-shaped too.
    const e = doc.paths["/send"]?.post?.responses["401"]?.content?.["application/json"]?.example;
    expect(e).toMatchObject({ error: { code: "unauthorized" }, requestId: expect.any(String) });
  });
});

describe("/docs", () => {
  it("is a viewer page that loads only same-origin assets, served from the gateway's own dependencies", async () => {
    const { app } = makeApp();
    const res = await app.request(DOCS_PATH);
    expect(res.status).toBe(200);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.length).toBeGreaterThanOrEqual(3);
    expect(refs.every((r) => r.startsWith(`${DOCS_PATH}/`))).toBe(true);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    for (const ref of refs) {
      const asset = await app.request(ref);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get("content-type"), ref).toMatch(/^text\/(css|javascript)/);
      expect((await asset.text()).length, ref).toBeGreaterThan(10);
    }
    // The browser may fetch, run and style from this origin only: no CDN could be reached.
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const init = await (await app.request(`${DOCS_PATH}/init.js`)).text();
    expect(init).toContain(`url: "${OPENAPI_PATH}"`);
    expect(init).toContain("validatorUrl: null");
  });
});
