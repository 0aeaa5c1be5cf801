import { type GraphTestServer, startGraphServer } from "@flank/devtools";
import { freePort, startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGraphClient as createClient, type GraphClientOptions } from "./graph-client.js";
import { createLeanHttp, fetchRequest } from "./lean-fetch.js";

let graph: GraphTestServer;
beforeAll(async () => {
  graph = await startGraphServer();
});
afterAll(() => graph.stop());
beforeEach(() => graph.reset());

const body = {
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to: "+1555",
  type: "text",
  text: { body: "x" },
};

// The responder runs the client on the lean request; the global fetch is the default elsewhere.
describe.each([
  ["global fetch", fetchRequest()],
  ["lean request", createLeanHttp().request],
])("Graph client on %s", (_, request) => {
  const createGraphClient = (opts: GraphClientOptions) => createClient({ ...opts, request });

  it("posts to {base}/{phone_number_id}/messages with the bearer token and returns the wamid", async () => {
    const client = createGraphClient({ base: graph.base, timeoutMs: 2000 });
    const result = await client.send("123", "TOKEN", body);
    expect(result.ok).toBe(true);
    expect(result.ok && result.wamid).toMatch(/^wamid\./);
    expect(result.ok && result.body).toMatchObject({ contacts: [{ input: "+1555", wa_id: "1555" }] });
    expect(graph.requests[0]).toMatchObject({
      path: "/v25.0/123/messages",
      headers: { authorization: "Bearer TOKEN", "content-type": "application/json" },
      body,
    });
  });

  it("does not follow a 307 from GRAPH_API_BASE to another origin: the token stays home", async () => {
    const servers = await startRedirectServers(307);
    try {
      const result = await createGraphClient({ base: `${servers.redirector}/v25.0`, timeoutMs: 2000 }).send(
        "123",
        "EAAsecret",
        body,
      );
      expect(result).toMatchObject({ ok: false, failure: { kind: "http", status: 307 } });
      expect(servers.seen).toEqual([]);
    } finally {
      await servers.stop();
    }
  });

  it("reads Meta's error code and details", async () => {
    graph.script({ kind: "error", code: 131056 });
    const result = await createGraphClient({ base: graph.base, timeoutMs: 2000 }).send("123", "T", body);
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "meta", code: 131056, status: 400 },
      error: { code: 131056, details: expect.stringContaining("same recipient") },
    });
  });

  it("reports a bare 5xx, a timeout and a refused connection", async () => {
    graph.script({ kind: "raw", status: 502 }, { kind: "hang" });
    const client = createGraphClient({ base: graph.base, timeoutMs: 200 });
    expect(await client.send("1", "T", body)).toMatchObject({
      ok: false,
      failure: { kind: "http", status: 502 },
    });
    expect(await client.send("1", "T", body)).toMatchObject({ ok: false, failure: { kind: "timeout" } });
    const closed = createGraphClient({ base: `http://127.0.0.1:${await freePort()}/v25.0`, timeoutMs: 500 });
    expect(await closed.send("1", "T", body)).toMatchObject({ ok: false, failure: { kind: "network" } });
  });
});
