import { createCommandWorker } from "@flank/router";
import { type FlankEvent, type Route, topicChannel } from "@flank/shared/contract";
import { type Conversation, createMemoryStores, type Stores } from "@flank/shared/store";
import { waitFor } from "@flank/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN,
  ADMIN_KEY,
  AUTH,
  agentKey,
  makeApp,
  PNID,
  seedConversation,
  sseReader,
  startCommandWorker,
} from "../test-harness.js";

const OTHER = "222222222222222";
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup(env: Record<string, string> = {}) {
  const t = makeApp({ env });
  closers.push(await startCommandWorker(t));
  const events: { channel: string; event: FlankEvent }[] = [];
  const tap = await t.inner.tap("flank.>", (event, channel) => {
    events.push({ channel, event });
  });
  closers.push(
    () => tap.close(),
    () => t.inner.close(),
  );
  const call = (method: string, path: string, key: Record<string, string>, body?: unknown, headers = {}) =>
    t.app.request(path, {
      method,
      headers: { "content-type": "application/json", ...key, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const post = (path: string, key: Record<string, string>, body?: unknown, headers = {}) =>
    call("POST", path, key, body, headers);
  const get = (path: string, key: Record<string, string>) => call("GET", path, key);
  /** Creates an agent through the admin API; returns its Authorization header. */
  const agent = (id: string, name: string, tenants: string[]) => agentKey(t.app, { id, name, tenants });
  const seed = (user: string, route: Route = "bot", extra: Partial<Conversation> = {}, tenant = PNID) =>
    seedConversation(t, user, route, extra, tenant);
  const channelEvents = (channel: string) => events.filter((e) => e.channel === channel).map((e) => e.event);
  const path = (user: string, action: string, tenant = PNID) =>
    `/v1/agents/conversations/${tenant}:${user}/${action}`;
  return { ...t, post, get, call, agent, seed, events, channelEvents, path };
}

type ErrorJson = { error: { code: string; message: string } };
const code = async (res: Response) => ((await res.json()) as ErrorJson).error.code;

describe("agent routes", () => {
  it("lists conversations by route, stage and agent; an agent key sees only its numbers", async () => {
    const t = await setup();
    await t.seed("1");
    await t.seed("2", "queue");
    await t.seed("3", "agent:ana", { stage: "support" });
    await t.seed("4", "queue", {}, OTHER);
    const ids = async (q: string, key: Record<string, string> = ADMIN) => {
      const res = await t.get(`/v1/agents/conversations${q}`, key);
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Conversation[] }).items.map((c) => c.user).sort();
    };
    expect(await ids("")).toEqual(["1", "2", "3", "4"]);
    expect(await ids("?route=queue")).toEqual(["2", "4"]);
    expect(await ids("?agent=ana")).toEqual(["3"]);
    expect(await ids("?stage=support&route=agent:ana")).toEqual(["3"]);
    expect(await ids("", AUTH)).toEqual(["1", "2", "3", "4"]);
    expect((await t.get("/v1/agents/conversations?limit=0", ADMIN)).status).toBe(400);

    const ana = await t.agent("ana", "Ana", [PNID]);
    expect(await ids("?route=queue", ana)).toEqual(["2"]);
    const outside = await t.get(`/v1/agents/conversations?tenant=${OTHER}`, ana);
    expect(outside.status).toBe(403);
    expect((await t.get(`/v1/agents/conversations/${OTHER}:4`, ana)).status).toBe(403);
    expect((await t.post(t.path("4", "take", OTHER), ana, {})).status).toBe(403);
    expect((await t.get(`/v1/agents/conversations/${OTHER}:4/messages`, ana)).status).toBe(403);

    const counts = await t.get("/v1/agents/counts", ana);
    expect(await counts.json()).toEqual({ queue: 1, all: 3, mine: 1 });
  });

  it("an agent key takes over, replies as its agent and releases; the user's chat and the agent's tap see it", async () => {
    const t = await setup();
    await t.seed("5511");
    const ana = await t.agent("ana", "Ana Souza", [PNID]);
    const bob = await t.agent("bob", "Bob", ["*"]);

    const take = await t.post(t.path("5511", "take"), ana);
    expect(take.status).toBe(200);
    expect(await take.json()).toMatchObject({
      changed: true,
      conversation: { route: "agent:ana", agentId: "ana" },
    });
    expect((await t.presence.status("ana")).load).toBe(1);

    const other = await t.post(t.path("5511", "take"), bob, {});
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({
      error: { code: "conflict", details: { route: "agent:ana" } },
    });
    expect((await t.post(t.path("5511", "reply"), bob, { text: "hi" })).status).toBe(409);
    // An agent key acts only as its own agent.
    const impersonate = await t.post(t.path("5511", "reply"), bob, { agentId: "ana", text: "hi" });
    expect(impersonate.status).toBe(403);
    expect(await code(impersonate)).toBe("forbidden");

    const reply = await t.post(
      t.path("5511", "reply"),
      ana,
      { text: "Hello, Ana here" },
      { "idempotency-key": "reply-1" },
    );
    expect(reply.status).toBe(202);
    expect(await reply.json()).toMatchObject({ idempotencyKey: "reply-1", status: "queued" });
    // Recorded at once, so the console's history shows it before the sender has sent it.
    expect(await t.stores.messages.get("reply-1")).toMatchObject({
      status: "queued",
      body: "Hello, Ana here",
    });

    const release = await t.post(t.path("5511", "release"), ana);
    expect(release.status).toBe(200);
    expect(await release.json()).toMatchObject({ conversation: { route: "bot" } });
    expect((await t.presence.status("ana")).load).toBe(0);

    await waitFor(() => t.channelEvents("flank.agent.ana").length >= 3, { what: "agent tap" });
    expect(t.channelEvents("flank.agent.ana").map((e) => e.type)).toEqual([
      "conversation.updated",
      "outbound.request",
      "conversation.updated",
    ]);
    expect(t.channelEvents(topicChannel("outbound.request"))[0]).toMatchObject({
      tenant: PNID,
      conversationId: `${PNID}:5511`,
      data: {
        idempotencyKey: "reply-1",
        to: "5511",
        source: "agent",
        agentId: "ana",
        agentName: "Ana Souza",
        message: { type: "text", body: "Hello, Ana here" },
      },
    });
  });

  it("send/read keys cannot act as an agent; admin keys can, naming the agent", async () => {
    const t = await setup();
    await t.seed("5512");
    for (const [action, body] of [
      ["take", { agentId: "ana" }],
      ["reply", { agentId: "ana", text: "I am not ana" }],
      ["release", { agentId: "ana" }],
      ["transfer", { agentId: "ana", to: "bob" }],
    ] as const) {
      const res = await t.post(t.path("5512", action), AUTH, body);
      expect(res.status, action).toBe(403);
      expect((await res.json()) as ErrorJson, action).toMatchObject({
        error: { message: expect.stringMatching(/agent's key/) },
      });
    }
    expect((await t.post("/v1/agents/ana/heartbeat", AUTH)).status).toBe(403);
    expect(t.channelEvents(topicChannel("outbound.request"))).toEqual([]);

    const noName = await t.post(t.path("5512", "take"), ADMIN, {});
    expect(noName.status).toBe(400);
    expect((await noName.json()) as ErrorJson).toMatchObject({ error: { message: /agentId is required/ } });
    expect((await t.post(t.path("5512", "take"), ADMIN, { agentId: "ana" })).status).toBe(200);
    expect((await t.post(t.path("5512", "reply"), ADMIN, { agentId: "ana", text: "hi" })).status).toBe(202);
    // A send/read key still reads and hands off.
    expect((await t.get(`/v1/agents/conversations/${PNID}:5512`, AUTH)).status).toBe(200);
  });

  it("never writes a conversation itself: take, read, release and handoff are commands the router applies", async () => {
    const stores = createMemoryStores();
    const saves: string[] = [];
    // The gateway's view of the store refuses writes; the router's command worker has the real one.
    const readOnly: Stores = {
      ...stores,
      conversations: new Proxy(stores.conversations, {
        get: (target, name, receiver) =>
          name === "save"
            ? async () => {
                saves.push("gateway");
                throw new Error("the gateway wrote a conversation");
              }
            : Reflect.get(target, name, receiver),
      }),
    };
    const t = makeApp({ stores: readOnly });
    const worker = createCommandWorker({ bus: t.inner, stores, presence: t.presence, log: t.log });
    await worker.start();
    closers.push(
      () => worker.stop(),
      () => t.inner.close(),
    );
    await seedConversation({ stores, presence: t.presence }, "7", "bot", { unread: 2 });
    const ana = await agentKey(t.app, { id: "ana", name: "Ana", tenants: [PNID] });
    const post = (action: string) =>
      t.app.request(`/v1/agents/conversations/${PNID}:7/${action}`, { method: "POST", headers: ana });

    expect((await post("take")).status).toBe(200);
    expect((await post("read")).status).toBe(200);
    expect(await stores.conversations.get(`${PNID}:7`)).toMatchObject({ route: "agent:ana", unread: 0 });
    expect((await post("release")).status).toBe(200);
    expect((await post("handoff")).status).toBe(200);
    expect(await stores.conversations.get(`${PNID}:7`)).toMatchObject({ route: "queue" });
    expect(saves).toEqual([]);
  });

  it("an agent at its cap asks the router for no assignments on a heartbeat", async () => {
    const t = await setup({ AGENT_MAX_CONVERSATIONS: "1" });
    const ana = await t.agent("ana", "Ana", [PNID]);
    await t.seed("1", "agent:ana");
    await t.seed("2", "queue");
    const hb = await t.post("/v1/agents/ana/heartbeat", ana);
    expect(await hb.json()).toMatchObject({ load: 1, assignedFromQueue: 0 });
    const commands = t.bus.calls.flatMap((c) => c.events).filter((e) => e.type === "conversation.command");
    expect(commands).toEqual([]);
    expect(await t.stores.conversations.get(`${PNID}:2`)).toMatchObject({ route: "queue" });
  });

  it("handoff by API queues the conversation; a heartbeat assigns it to the least-loaded agent for its number", async () => {
    const t = await setup();
    await t.seed("1");
    await t.seed("2");
    const ana = await t.agent("ana", "Ana", [PNID]);
    const bob = await t.agent("bob", "Bob", [PNID]);
    const cy = await t.agent("cy", "Cy", [OTHER]);
    const queued = await t.post(t.path("1", "handoff"), AUTH);
    expect(queued.status).toBe(200);
    expect(await queued.json()).toMatchObject({
      conversation: { route: "queue", awaitingAgentSince: expect.any(String) },
    });

    // cy works on another number: online, but never given this chat.
    expect(await (await t.post("/v1/agents/cy/heartbeat", cy)).json()).toMatchObject({
      assignedFromQueue: 0,
    });
    expect((await t.post("/v1/agents/bob/heartbeat", ana)).status).toBe(403);
    const hb = await t.post("/v1/agents/ana/heartbeat", ana);
    expect(await hb.json()).toMatchObject({
      agentId: "ana",
      name: "Ana",
      online: true,
      assignedFromQueue: 1,
    });
    expect(await t.stores.conversations.get(`${PNID}:1`)).toMatchObject({ route: "agent:ana" });

    await t.presence.addLoad("ana", 5);
    await t.post("/v1/agents/bob/heartbeat", bob);
    const assigned = await t.post(t.path("2", "handoff"), ana, { reason: "VIP" });
    expect(await assigned.json()).toMatchObject({ conversation: { route: "agent:bob" } });
    const agents = (await (await t.get(`/v1/agents?tenant=${PNID}`, ana)).json()) as {
      agents: { agentId: string; name: string; load: number }[];
    };
    expect(agents.agents.map((a) => [a.agentId, a.name, a.load])).toEqual([
      ["bob", "Bob", 1],
      ["ana", "Ana", 6],
    ]);
    const off = await t.post("/v1/agents/bob/offline", bob);
    expect(await off.json()).toMatchObject({ online: false });
  });

  it("transfers to another agent who works on the number; refuses one who does not", async () => {
    const t = await setup();
    await t.seed("7", "agent:ana");
    const ana = await t.agent("ana", "Ana", [PNID]);
    await t.agent("bob", "Bob", [PNID, OTHER]);
    await t.agent("cy", "Cy", [OTHER]);
    const wrong = await t.post(t.path("7", "transfer"), ana, { to: "cy" });
    expect(wrong.status).toBe(409);
    expect(await code(wrong)).toBe("agent_unavailable");
    expect((await t.post(t.path("7", "transfer"), ana, { to: "nobody" })).status).toBe(409);
    const moved = await t.post(t.path("7", "transfer"), ana, { to: "bob", reason: "billing question" });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ conversation: { route: "agent:bob" } });
    expect([(await t.presence.status("ana")).load, (await t.presence.status("bob")).load]).toEqual([0, 1]);
    // A repeat changes nothing; no longer ana's, she can neither hand it on nor reply.
    expect(await (await t.post(t.path("7", "transfer"), ana, { to: "bob" })).json()).toMatchObject({
      changed: false,
    });
    await t.agent("dee", "Dee", [PNID]);
    expect((await t.post(t.path("7", "transfer"), ana, { to: "dee" })).status).toBe(409);
    expect((await t.post(t.path("7", "reply"), ana, { text: "x" })).status).toBe(409);
  });

  it("shows the agent, the conversation with the user's profile, and marks it read", async () => {
    const t = await setup();
    await t.stores.users.upsert({ tenant: PNID, waId: "9", profileName: "Zé", username: "ze" });
    await t.seed("9", "agent:ana", { unread: 3 });
    const ana = await t.agent("ana", "Ana", [PNID]);
    const me = await t.get("/v1/agents/me", ana);
    expect(me.status).toBe(200);
    const meBody = (await me.json()) as { agent: Record<string, unknown>; heartbeatTtlMs: number };
    expect(meBody).toMatchObject({
      agent: { id: "ana", name: "Ana", tenants: [PNID] },
      heartbeatTtlMs: 60_000,
    });
    expect(meBody.agent).not.toHaveProperty("keyHash");
    expect((await t.get("/v1/agents/me", ADMIN)).status).toBe(403);

    const detail = await t.get(`/v1/agents/conversations/${PNID}:9`, ana);
    expect(await detail.json()).toMatchObject({
      conversation: { route: "agent:ana", unread: 3 },
      user: { waId: "9", profileName: "Zé", username: "ze" },
    });
    const read = await t.post(t.path("9", "read"), ana);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ changed: true, conversation: { unread: 0 } });
    expect((await t.get(`/v1/agents/conversations/${PNID}:nobody`, ana)).status).toBe(404);
  });

  it("answers clear errors: unknown conversation, bad body, closed 24-hour window", async () => {
    const t = await setup();
    const ana = await t.agent("ana", "Ana", ["*"]);
    const missing = await t.post(t.path("nobody", "take"), ana, {});
    expect(missing.status).toBe(404);
    expect(await code(missing)).toBe("not_found");
    const bad = await t.post(t.path("1", "take"), ADMIN, { agentId: "" });
    expect(bad.status).toBe(400);
    expect(await code(bad)).toBe("validation_failed");
    expect((await t.post("/v1/agents/bad%20id/heartbeat", ADMIN)).status).toBe(400);
    const both = await t.post(t.path("1", "reply"), ana, { text: "x", message: { type: "text", body: "y" } });
    expect(both.status).toBe(400);

    await t.seed("old", "agent:ana", { lastInboundAt: new Date(Date.now() - 25 * 3600_000).toISOString() });
    const late = await t.post(t.path("old", "reply"), ana, { text: "hello?" });
    expect(late.status).toBe(409);
    expect(await code(late)).toBe("window_closed");
    const template = await t.post(t.path("old", "reply"), ana, {
      message: { type: "template", name: "follow_up", language: "en" },
    });
    expect(template.status).toBe(202);
  });

  it("shows the queue's length, each agent's load and the time to a first agent reply as metrics", async () => {
    const t = await setup();
    const ana = await t.agent("ana", "Ana", [PNID]);
    await t.agent("bob", "Bob", [PNID]);
    await t.seed("1", "queue", { awaitingAgentSince: new Date(Date.now() - 90_000).toISOString() });
    await t.seed("2", "queue");
    const metrics = async () => (await t.app.request("/metrics")).text();
    let text = await metrics();
    expect(text).toContain("flank_agent_queue_length 2");
    expect(text).toContain('flank_agent_load{agent="bob",online="false"} 0');

    await t.post(t.path("1", "take"), ana);
    await t.post("/v1/agents/ana/heartbeat", ana);
    await t.post(t.path("1", "reply"), ana, { text: "hello" });
    await t.post(t.path("1", "reply"), ana, { text: "again" });
    // The router notes the reply after the 202: wait for its answer to reach the metric.
    await waitFor(async () => (await metrics()).includes("flank_agent_first_reply_seconds_count 1"));
    text = await metrics();
    expect(text).toContain("flank_agent_queue_length 0");
    expect(text).toContain('flank_agent_load{agent="ana",online="true"} 2');
    // One observation (the first reply only), about 90 s after the chat left the bot.
    expect(text).toContain("flank_agent_first_reply_seconds_count 1");
    expect(text).toMatch(/flank_agent_first_reply_seconds_bucket\{le="60"\} 0/);
    expect(text).toMatch(/flank_agent_first_reply_seconds_bucket\{le="120"\} 1/);
  });

  it("streams the events of the agent's numbers only", async () => {
    const t = await setup();
    const ana = await t.agent("ana", "Ana", [PNID]);
    await t.seed("1");
    await t.seed("2", "bot", {}, OTHER);
    const res = await t.get("/v1/agents/stream", ana);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const sse = sseReader(res);
    closers.push(async () => sse.cancel());
    await waitFor(() => sse.frames.some((f) => f.event === "ready"), { what: "ready" });
    await t.post(t.path("2", "handoff"), ADMIN);
    await t.post(t.path("1", "handoff"), ADMIN);
    await waitFor(() => sse.frames.some((f) => f.event === "conversation.updated"), { what: "update" });
    const updates = sse.frames
      .filter((f) => f.event === "conversation.updated")
      .map((f) => JSON.parse(f.data ?? "{}"));
    expect(updates.map((e) => e.conversationId)).toEqual([`${PNID}:1`]);
    expect((await t.get(`/v1/agents/stream?tenant=${OTHER}`, ana)).status).toBe(403);
  });
});

describe("agent admin API", () => {
  it("creates, lists, disables and re-keys agents; keys are never stored or shown again", async () => {
    const t = await setup();
    const created = await t.post("/v1/admin/agents", ADMIN, {
      id: "ana",
      name: "Ana",
      tenants: [PNID, PNID],
    });
    expect(created.status).toBe(201);
    const { agent, key } = (await created.json()) as { agent: Record<string, unknown>; key: string };
    expect(agent).toMatchObject({
      id: "ana",
      name: "Ana",
      tenants: [PNID],
      enabled: true,
      keyHint: `…${key.slice(-4)}`,
    });
    expect(agent).not.toHaveProperty("keyHash");
    expect(key).toMatch(/^flk_agent_/);
    expect(JSON.stringify(await t.stores.agents.get("ana"))).not.toContain(key);
    const ana = { authorization: `Bearer ${key}` };

    expect(
      (await t.post("/v1/admin/agents", ADMIN, { id: "ana", name: "Again", tenants: ["*"] })).status,
    ).toBe(409);
    const invalid = await t.post("/v1/admin/agents", ADMIN, { id: "a b", name: "", tenants: ["+1"] });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toMatch(/tenants[\s\S]*name|name[\s\S]*tenants/);

    const list = await t.get("/v1/admin/agents", ADMIN);
    expect(((await list.json()) as { agents: { id: string }[] }).agents.map((a) => a.id)).toEqual(["ana"]);
    expect((await t.get("/v1/admin/agents/nobody", ADMIN)).status).toBe(404);
    expect((await t.call("PATCH", "/v1/admin/agents/nobody", ADMIN, { enabled: false })).status).toBe(404);
    expect((await t.call("PATCH", "/v1/admin/agents/ana", ADMIN, {})).status).toBe(400);

    // The rest is refused with 403: agent and send/read keys on the admin API, agent keys off the agent API.
    for (const key of [ana, AUTH]) expect((await t.get("/v1/admin/agents", key)).status).toBe(403);
    expect((await t.get("/api/v1/channels/whatsapp/integrations", ana)).status).toBe(403);
    expect(
      (await t.post("/v1/messages", ana, { to: "5511", message: { type: "text", body: "x" } })).status,
    ).toBe(403);
    expect((await t.get("/v1/conversations", ana)).status).toBe(403);
    expect((await t.get("/v1/stream", ana)).status).toBe(403);
    expect((await t.get("/v1/agents/me", ana)).status).toBe(200);

    const disabled = await t.call("PATCH", "/v1/admin/agents/ana", ADMIN, { enabled: false });
    expect(await disabled.json()).toMatchObject({ agent: { enabled: false } });
    const refused = await t.get("/v1/agents/me", ana);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain("invalid_token");

    await t.call("PATCH", "/v1/admin/agents/ana", ADMIN, { enabled: true });
    const rotated = await t.post("/v1/admin/agents/ana/key", ADMIN);
    expect(rotated.status).toBe(200);
    const next = ((await rotated.json()) as { key: string }).key;
    expect((await t.get("/v1/agents/me", ana)).status).toBe(401);
    expect((await t.get("/v1/agents/me", { authorization: `Bearer ${next}` })).status).toBe(200);
    expect((await t.post("/v1/admin/agents/nobody/key", ADMIN)).status).toBe(404);
    expect(ADMIN_KEY).not.toBe(next);
  });
});
