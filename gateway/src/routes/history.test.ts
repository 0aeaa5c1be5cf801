import type { StoredMessage } from "@flank/shared/store";
import { describe, expect, it } from "vitest";
import { AUTH, jsonPost, makeApp, PNID } from "../test-harness.js";

const USER = "16505551234";
const CONV = `${PNID}:${USER}`;

const msg = (n: number, over: Partial<StoredMessage> = {}): StoredMessage => ({
  id: `wamid.${n}`,
  wamid: `wamid.${n}`,
  conversationId: CONV,
  tenant: PNID,
  direction: n % 2 === 0 ? "outbound" : "inbound",
  from: n % 2 === 0 ? PNID : USER,
  to: n % 2 === 0 ? USER : PNID,
  type: "text",
  body: `m${n}`,
  timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  statuses: [],
  raw: { n },
  ...over,
});

async function seeded() {
  const t = makeApp();
  // Inserted out of order: listings sort by time.
  for (const n of [3, 1, 2, 4]) await t.stores.messages.insert(msg(n));
  await t.stores.messages.insert(msg(9, { conversationId: `${PNID}:447700900123`, from: "447700900123" }));
  return t;
}

describe("POST /get", () => {
  it("returns a number's messages oldest first, with or without +", async () => {
    const t = await seeded();
    for (const number of [USER, `+${USER}`]) {
      const res = await t.app.request("/get", jsonPost({ number, limit: 0 }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        count: number;
        messages: { id: string; body: string; raw: unknown }[];
      };
      expect(body.count).toBe(4);
      expect(body.messages.map((m) => m.body)).toEqual(["m1", "m2", "m3", "m4"]);
      expect(body.messages[0]).toEqual({
        id: "wamid.1",
        from: USER,
        to: PNID,
        timestamp: "2026-01-01T00:00:01.000Z",
        type: "text",
        body: "m1",
        raw: { n: 1 },
      });
    }
  });

  it("limits to the last N, and defaults to all", async () => {
    const t = await seeded();
    const last = (await (await t.app.request("/get", jsonPost({ number: USER, limit: 2 }))).json()) as {
      messages: { body: string }[];
    };
    expect(last.messages.map((m) => m.body)).toEqual(["m3", "m4"]);
    const all = (await (await t.app.request("/get", jsonPost({ number: USER }))).json()) as { count: number };
    expect(all.count).toBe(4);
  });

  it("answers 400 for a negative limit or a missing number", async () => {
    const t = await seeded();
    expect((await t.app.request("/get", jsonPost({ number: USER, limit: -1 }))).status).toBe(400);
    expect((await t.app.request("/get", jsonPost({ limit: 1 }))).status).toBe(400);
  });
});

describe("GET /v1/conversations", () => {
  async function withConversations() {
    const t = makeApp();
    const save = (id: string, route: "bot" | "queue" | `agent:${string}`, stage: string, tenant = PNID) =>
      t.stores.conversations.save(
        {
          id,
          tenant,
          user: id.split(":")[1] ?? id,
          stage,
          route,
          agentId: route.startsWith("agent:") ? route.slice(6) : undefined,
        },
        0,
      );
    await save(`${PNID}:1`, "bot", "welcome");
    await save(`${PNID}:2`, "agent:alice", "support");
    await save(`${PNID}:3`, "queue", "support");
    await save("999:4", "bot", "welcome", "999");
    return t;
  }
  const ids = async (res: Response) =>
    ((await res.json()) as { items: { id: string }[] }).items.map((c) => c.id).sort();

  it("filters by route, stage, agent and tenant", async () => {
    const t = await withConversations();
    const get = (q: string) => t.app.request(`/v1/conversations${q}`, { headers: AUTH });
    expect(await ids(await get(""))).toHaveLength(4);
    expect(await ids(await get("?route=bot"))).toEqual([`${PNID}:1`, "999:4"].sort());
    expect(await ids(await get("?stage=support"))).toEqual([`${PNID}:2`, `${PNID}:3`]);
    expect(await ids(await get("?agent=alice"))).toEqual([`${PNID}:2`]);
    expect(await ids(await get("?tenant=999"))).toEqual(["999:4"]);
  });

  it("pages with limit and cursor", async () => {
    const t = await withConversations();
    const first = (await (await t.app.request("/v1/conversations?limit=3", { headers: AUTH })).json()) as {
      items: { id: string }[];
      nextCursor?: string;
    };
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toBeTruthy();
    const next = await t.app.request(`/v1/conversations?limit=3&cursor=${first.nextCursor}`, {
      headers: AUTH,
    });
    const second = (await next.json()) as { items: { id: string }[]; nextCursor?: string };
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    expect(new Set([...first.items, ...second.items].map((c) => c.id)).size).toBe(4);
  });

  it("answers 400 for a bad limit or cursor", async () => {
    const t = await withConversations();
    const limit = await t.app.request("/v1/conversations?limit=0", { headers: AUTH });
    expect(limit.status).toBe(400);
    expect(((await limit.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path).toBe(
      "limit",
    );
    expect((await t.app.request("/v1/conversations?limit=abc", { headers: AUTH })).status).toBe(400);
    expect((await t.app.request("/v1/conversations?cursor=%25%25", { headers: AUTH })).status).toBe(400);
  });
});

describe("GET /v1/conversations/:id/messages", () => {
  it("pages a conversation's messages oldest first", async () => {
    const t = await seeded();
    const url = `/v1/conversations/${encodeURIComponent(CONV)}/messages`;
    const first = (await (await t.app.request(`${url}?limit=3`, { headers: AUTH })).json()) as {
      items: StoredMessage[];
      nextCursor: string;
    };
    expect(first.items.map((m) => m.body)).toEqual(["m1", "m2", "m3"]);
    const second = (await (
      await t.app.request(`${url}?limit=3&cursor=${first.nextCursor}`, { headers: AUTH })
    ).json()) as {
      items: StoredMessage[];
      nextCursor?: string;
    };
    expect(second.items.map((m) => m.body)).toEqual(["m4"]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("answers 404 for an unknown conversation, 200 empty for a known one without messages", async () => {
    const t = makeApp();
    const unknown = await t.app.request("/v1/conversations/nobody/messages", { headers: AUTH });
    expect(unknown.status).toBe(404);
    await t.stores.conversations.save(
      { id: `${PNID}:5`, tenant: PNID, user: "5", stage: null, route: "bot" },
      0,
    );
    const empty = await t.app.request(`/v1/conversations/${PNID}:5/messages`, { headers: AUTH });
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({ items: [] });
  });
});
