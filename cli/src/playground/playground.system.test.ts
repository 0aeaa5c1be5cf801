import { randomBytes } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createMemoryBus } from "@flank/shared/bus";
import { createMemoryStores, type StoredMessage } from "@flank/shared/store";
import { hasBinary } from "@flank/testing";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { banner } from "../banner.js";
import { type Embedded, startEmbedded } from "../embedded.js";
import { REPO_ROOT } from "../stack.js";
import { bareConfig, launchChromium, silentLog } from "../test-helpers.js";
import { createChats } from "./chats.js";
import { PLAYGROUND_TOKEN_HEADER } from "./guard.js";
import { createPlayground, PLAYGROUND_BODY_LIMIT } from "./routes.js";

const TOKEN = "run-token-0123456789";
const authed = { [PLAYGROUND_TOKEN_HEADER]: TOKEN };

describe("playground endpoints", () => {
  const log = silentLog();
  const PNID = "100000000000001";
  let made = 0;
  const make = (maxStreams?: number, stores = createMemoryStores()) =>
    createPlayground({
      bus: createMemoryBus(log),
      log,
      phoneNumberId: PNID,
      simulated: ["x"],
      flows: [{ id: "general-assistant", name: "General assistant" }, { id: "appointment-booking" }],
      defaultFlowId: "general-assistant",
      chats: createChats({
        defaultFlowId: "general-assistant",
        defaultNumber: PNID,
        flowIds: ["general-assistant", "appointment-booking"],
        newNumber: async () => `99990000000000${++made}`,
      }),
      stores,
      target: () => ({ url: "http://127.0.0.1:1/webhook/whatsapp", appSecret: "s" }),
      token: TOKEN,
      hosts: ["192.0.2.10"],
      ...(maxStreams ? { maxStreams } : {}),
    });
  const post = (app: ReturnType<typeof make>["app"], body: unknown, headers: Record<string, string> = {}) =>
    app.request("http://127.0.0.1:3001/send", {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/json", ...authed, ...headers },
    });

  it("serves a self-contained page: no external scripts, styles or fonts", async () => {
    const res = await make().app.request("/");
    const html = await res.text();
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(html).toContain("<script>");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!developers)/);
  });

  const chat = async (app: ReturnType<typeof make>["app"], body: unknown) => {
    const res = await app.request("http://127.0.0.1:3001/chat", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...authed },
    });
    return {
      status: res.status,
      body: (await res.json()) as { biz?: string; flowId?: string; error?: string },
    };
  };

  it("lists the loaded flows and opens a chat on the one picked; a reset opens a new one", async () => {
    const { app } = make();
    const info = (await (await app.request("/info", { headers: authed })).json()) as Record<string, unknown>;
    expect(info.flows).toEqual([
      { id: "general-assistant", name: "General assistant" },
      { id: "appointment-booking" },
    ]);
    expect(info.defaultFlow).toBe("general-assistant");
    // The default flow chats on PHONE_NUMBER_ID; another flow on a number of its own, kept until a reset.
    expect((await chat(app, { flow: "general-assistant" })).body).toEqual({
      biz: PNID,
      flowId: "general-assistant",
    });
    const booking = (await chat(app, { flow: "appointment-booking" })).body;
    expect(booking.biz).toMatch(/^9999\d+$/);
    expect((await chat(app, { flow: "appointment-booking" })).body.biz).toBe(booking.biz);
    const reset = (await chat(app, { flow: "appointment-booking", fresh: true })).body;
    expect(reset.flowId).toBe("appointment-booking");
    expect(reset.biz).not.toBe(booking.biz);
    const resetDefault = (await chat(app, { flow: "general-assistant", fresh: true })).body;
    expect(resetDefault.biz).not.toBe(PNID);
    expect((await chat(app, { flow: "nope" })).status).toBe(404);
    expect((await chat(app, { fresh: true })).status).toBe(400);
  });

  it("signs and streams only for chats it opened (404 for any other business number)", async () => {
    const { app } = make();
    const other = "106540352242922";
    expect((await post(app, { from: "16505551234", biz: other, text: "hi" })).status).toBe(404);
    expect((await app.request(`/events?from=16505551234&biz=${other}`, { headers: authed })).status).toBe(
      404,
    );
    expect((await app.request(`/history?from=16505551234&biz=${other}`, { headers: authed })).status).toBe(
      404,
    );
  });

  it("gives a chat's messages and state back for a reload, oldest first, the bot's as sent", async () => {
    const stores = createMemoryStores();
    const { app } = make(undefined, stores);
    const conversationId = `${PNID}:16505551234`;
    const base = { conversationId, tenant: PNID, statuses: [] };
    const inbound: StoredMessage = {
      ...base,
      id: "in-1",
      wamid: "wamid.in1",
      direction: "inbound",
      from: "16505551234",
      to: PNID,
      type: "text",
      body: "hi there",
      timestamp: "2026-06-01T10:00:00.000Z",
      raw: { secret: "webhook body" },
    };
    const request = {
      idempotencyKey: "out-1",
      to: "16505551234",
      message: { type: "text", body: "Hello!" },
      source: "bot",
    };
    await stores.messages.insert(inbound);
    await stores.messages.insert({
      ...base,
      id: "out-1",
      wamid: "wamid.out1",
      direction: "outbound",
      from: PNID,
      to: "16505551234",
      type: "text",
      body: "Hello!",
      timestamp: "2026-06-01T10:00:01.000Z",
      status: "delivered",
      raw: request,
    });
    const res = await app.request("/history?from=16505551234", { headers: authed });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { conversation: unknown; messages: Record<string, unknown>[] };
    expect(body.conversation).toBeNull();
    expect(body.messages.map((m) => [m.direction, m.body, m.wamid])).toEqual([
      ["inbound", "hi there", "wamid.in1"],
      ["outbound", "Hello!", "wamid.out1"],
    ]);
    expect(body.messages[1]?.request).toEqual(request);
    expect(body.messages[0]).not.toHaveProperty("request");
    expect((await app.request(`/history?from=16505551234&biz=${PNID}`, { headers: authed })).status).toBe(
      200,
    );
    expect((await app.request("/history?from=x", { headers: authed })).status).toBe(400);
    // A long chat: its latest messages, oldest first.
    for (let i = 0; i < 205; i++) {
      await stores.messages.insert({
        ...inbound,
        id: `in-more-${i}`,
        wamid: `wamid.more${i}`,
        body: `message ${i}`,
        timestamp: new Date(Date.parse("2026-06-01T11:00:00.000Z") + i * 1000).toISOString(),
      });
    }
    const long = (await (await app.request("/history?from=16505551234", { headers: authed })).json()) as {
      messages: { body: string }[];
    };
    expect(long.messages).toHaveLength(200);
    expect(long.messages[0]?.body).toBe("message 5");
    expect(long.messages[199]?.body).toBe("message 204");
  });

  it("refuses a bad message with 400 and an unreachable gateway with 502", async () => {
    const { app } = make();
    const bad = await post(app, { from: "+1", text: "" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("from");
    expect((await post(app, { from: "16505551234", text: "hi" })).status).toBe(502);
    expect((await app.request("/events?from=abc", { headers: authed })).status).toBe(400);
  });

  it("refuses every call but the page without this run's token (401)", async () => {
    const { app } = make();
    expect((await app.request("/")).status).toBe(200);
    for (const headers of [{}, { [PLAYGROUND_TOKEN_HEADER]: "wrong" }] as Record<string, string>[]) {
      expect((await app.request("/info", { headers })).status).toBe(401);
      expect((await app.request("/events?from=16505551234", { headers })).status).toBe(401);
      expect((await app.request("/history?from=16505551234", { headers })).status).toBe(401);
      const open = await app.request("/chat", {
        method: "POST",
        body: JSON.stringify({ flow: "general-assistant" }),
        headers: { "content-type": "application/json", ...headers },
      });
      expect(open.status).toBe(401);
      const send = await app.request("/send", {
        method: "POST",
        body: JSON.stringify({ from: "16505551234", text: "hi" }),
        headers: { "content-type": "application/json", ...headers },
      });
      expect(send.status).toBe(401);
    }
    expect((await app.request("/info", { headers: authed })).status).toBe(200);
  });

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin (403), even with the token", async () => {
    const { app } = make();
    const at = (host: string, headers: Record<string, string> = {}) =>
      app.request(`http://${host}/info`, { headers: { ...authed, host, ...headers } });
    expect((await at("evil.example:3001")).status).toBe(403);
    expect(
      (await app.request("http://evil.example:3001/", { headers: { host: "evil.example:3001" } })).status,
    ).toBe(403);
    expect((await at("127.0.0.1:3001")).status).toBe(200);
    expect((await at("localhost:3001")).status).toBe(200);
    expect((await at("[::1]:3001")).status).toBe(200);
    // The --host address is allowed too.
    expect((await at("192.0.2.10:3001")).status).toBe(200);
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1:9999"]) {
      expect((await at("127.0.0.1:3001", { origin })).status).toBe(403);
      expect((await post(app, { from: "16505551234", text: "hi" }, { origin })).status).toBe(403);
      const open = await app.request("http://127.0.0.1:3001/chat", {
        method: "POST",
        body: JSON.stringify({ flow: "general-assistant" }),
        headers: { "content-type": "application/json", ...authed, host: "127.0.0.1:3001", origin },
      });
      expect(open.status).toBe(403);
    }
    expect((await at("127.0.0.1:3001", { origin: "http://127.0.0.1:3001" })).status).toBe(200);
  });

  it("refuses bodies that are not JSON (415) or too large (413)", async () => {
    const { app } = make();
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await post(app, '{"from":"16505551234","text":"hi"}', { "content-type": type });
      expect(res.status).toBe(415);
    }
    const big = await post(app, { from: "16505551234", text: "x".repeat(PLAYGROUND_BODY_LIMIT) });
    expect(big.status).toBe(413);
  });

  it("caps the event streams open at once (429 past it)", async () => {
    const { app, close } = make(2);
    const open = () => app.request("/events?from=16505551234", { headers: authed });
    const [a, b] = [await open(), await open()];
    expect([a.status, b.status]).toEqual([200, 200]);
    const over = await open();
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("5");
    close();
    await a.body?.cancel();
    await b.body?.cancel();
  });
});

describe("playground availability", () => {
  const startWith = (env: Record<string, string>) => startEmbedded(bareConfig(env), silentLog(), { port: 0 });

  it("is off with a real WHATSAPP_TOKEN, and in production", async () => {
    for (const env of [
      { WHATSAPP_TOKEN: "EAAreal-token", GRAPH_API_BASE: "http://127.0.0.1:1/v25.0" },
      {
        NODE_ENV: "production",
        APP_SECRET: "prod-app-secret-0123456789",
        API_KEYS: "prod-key-0123456789",
        ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      },
    ] as Record<string, string>[]) {
      const flank = await startWith(env);
      try {
        expect(flank.playgroundUrl).toBeUndefined();
        expect(banner(flank)).toMatch(/Playground {3}off \((WHATSAPP_TOKEN is set|NODE_ENV=production)/);
        expect((await fetch(`${flank.url}/playground`)).status).toBe(404);
        expect((await fetch(`${flank.url}/playground/info`)).status).toBe(404);
      } finally {
        await flank.stop();
      }
    }
  });

  it("prints its link with this run's token in the banner; the token is needed", async () => {
    const flank = await startEmbedded(bareConfig(), silentLog(), { port: 0 });
    try {
      const url = flank.playgroundUrl ?? "";
      expect(url).toMatch(/\/playground#token=[\w-]{32}$/);
      expect(banner(flank)).toContain(`Playground   ${url}`);
      const token = url.split("#token=")[1] ?? "";
      expect((await fetch(`${flank.url}/playground/info`)).status).toBe(401);
      expect(
        (await fetch(`${flank.url}/playground/info`, { headers: { [PLAYGROUND_TOKEN_HEADER]: token } }))
          .status,
      ).toBe(200);
    } finally {
      await flank.stop();
    }
  });
});

// (runs in the page; typed by hand since this package compiles without the DOM types)
type Win = { getComputedStyle(el: unknown): { color: string }; innerWidth: number };

// Real headless Chromium against the embedded mode; skipped only where chromium is missing and CI is not "true".
describe.skipIf(!hasBinary("chromium"))("playground in Chromium", () => {
  let flank: Embedded;
  let context: BrowserContext;
  beforeAll(async () => {
    flank = await startEmbedded(bareConfig(), silentLog(), {
      port: 0,
      statusTiming: { deliveredMs: 150, readMs: 400, retryDelayMs: 50 },
    });
    context = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await flank?.stop();
  });

  it("chats as a WhatsApp user: the reply appears with its ticks, the stage and the route", async () => {
    const page = await context.newPage();
    const failed: string[] = [];
    // (switching user closes the first event stream: that abort is expected)
    page.on("requestfailed", (r) => {
      if (r.failure()?.errorText !== "net::ERR_ABORTED") failed.push(r.url());
    });
    await page.goto(flank.playgroundUrl ?? "");
    // The page connects by itself once it knows the flows; switch user after that, not during it.
    await page.waitForSelector("#send:not([disabled])");
    await page.fill("#from", "16505557777");
    await page.fill("#name", "Ana");
    await page.click("#start");
    await page.waitForSelector("#send:not([disabled])");
    await expect.poll(() => page.textContent("#conn")).toContain("+16505557777");

    await page.fill("#text", "hi there");
    await page.click("#send");
    const reply = page.locator(".msg.bot").first();
    await reply.waitFor();
    expect(await reply.locator(".body").textContent()).toContain("assistant");
    // The bot's message is delivered and read (the simulator's status webhooks through the
    // gateway), yet shows no ticks: on a phone you never see whether the business read yours.
    await page.waitForSelector('.msg.bot[data-status="read"]', { timeout: 15_000 });
    expect(await page.locator(".msg.bot .tick").count()).toBe(0);
    // Yours do: ✓ sent → ✓✓ delivered → blue ✓✓ once the bot marked it read.
    await page.waitForSelector('.msg.me[data-status="read"]');
    const tickColor = await page
      .locator(".msg.me .tick")
      .first()
      .evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).color);
    expect(tickColor).toBe("rgb(83, 189, 235)");
    expect(await page.textContent("#stage")).toBe("chat");
    expect(await page.textContent("#route")).toBe("bot");
    expect(await page.textContent("#flow")).toBe("general-assistant");
    expect(await page.locator("#simulated li").count()).toBeGreaterThan(0);

    // the message went through the real webhook path: the simulator got the reply for this user
    expect(flank.simulator?.accepted.some((a) => a.to?.endsWith("16505557777"))).toBe(true);
    expect(failed).toEqual([]);

    const dir = join(REPO_ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "playground.png");
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 60_000);

  it("is phone-sized and centered", async () => {
    const page = await context.newPage();
    await page.goto(flank.playgroundUrl ?? "");
    await page.waitForSelector("#send:not([disabled])");
    const phone = await page.locator(".phone").boundingBox();
    const width = await page.evaluate(() => (globalThis as unknown as Win).innerWidth);
    expect(width).toBeGreaterThan(900);
    expect(phone?.width).toBeGreaterThan(300);
    expect(phone?.width).toBeLessThanOrEqual(420);
    expect(Math.abs((phone?.x ?? 0) + (phone?.width ?? 0) / 2 - width / 2)).toBeLessThan(2);
    await page.close();
  });

  it("keeps the chat on reload, starts a picked flow, and starts over on reset", async () => {
    const page = await context.newPage();
    await page.goto(flank.playgroundUrl ?? "");
    // The page first opens the chat of the number an earlier test saved; then another is picked.
    await page.waitForSelector("#send:not([disabled])");
    await page.fill("#from", "16505558888");
    await page.click("#start");
    await page.waitForSelector("#send:not([disabled])");
    await expect.poll(() => page.textContent("#conn")).toContain("+16505558888");
    await page.fill("#text", "hello from before the reload");
    await page.click("#send");
    await page.locator(".msg.bot").first().waitFor();
    await page.waitForSelector('.msg.me[data-status="read"]');

    // A reload shows the chat as it was: both bubbles, where it stands, and the user's ticks as far
    // as the stores know (delivered: read receipts are sent, not stored).
    await page.reload();
    await page.waitForSelector("#send:not([disabled])");
    expect(await page.inputValue("#from")).toBe("16505558888");
    expect(await page.locator(".msg.me .body").allTextContents()).toEqual(["hello from before the reload"]);
    expect(await page.locator(".msg.bot").count()).toBeGreaterThan(0);
    expect(await page.locator(".msg.bot .tick").count()).toBe(0);
    expect(await page.locator(".msg.me").getAttribute("data-status")).toBe("delivered");
    expect(await page.textContent(".msg.me .tick")).toBe("\u2713\u2713");
    expect(await page.textContent("#flow")).toBe("general-assistant");

    // The picker lists the loaded flows; picking one starts a conversation on it.
    const options = await page
      .locator("#flow-pick option")
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    expect(options).toEqual(expect.arrayContaining(["general-assistant", "appointment-booking"]));
    await page.selectOption("#flow-pick", "appointment-booking");
    await page.waitForSelector("#send:not([disabled])");
    expect(await page.locator(".msg").count()).toBe(0);
    expect(await page.textContent("#chat-title")).toBe("Appointment booking");
    await page.fill("#text", "hi");
    await page.click("#send");
    await expect
      .poll(() => page.locator(".msg.bot .body").first().textContent(), { timeout: 15_000 })
      .toContain("book an appointment");
    await expect.poll(() => page.textContent("#flow")).toBe("appointment-booking");
    await expect.poll(() => page.textContent("#stage")).toBe("greeting");
    await page.fill("#text", "book");
    await page.click("#send");
    await expect.poll(() => page.textContent("#stage"), { timeout: 15_000 }).toBe("collect");
    const before = await page.textContent("#business");

    // Reset: a fresh conversation on the same flow, with nothing of the old one.
    await page.click("#reset");
    await expect.poll(() => page.textContent("#business")).not.toBe(before);
    await page.waitForSelector("#send:not([disabled])");
    expect(await page.locator(".msg").count()).toBe(0);
    expect(await page.textContent("#stage")).toBe("\u2013");
    await page.fill("#text", "hi again");
    await page.click("#send");
    await expect.poll(() => page.textContent("#stage"), { timeout: 15_000 }).toBe("greeting");
    await page.reload();
    await page.waitForSelector("#send:not([disabled])");
    expect(await page.inputValue("#flow-pick")).toBe("appointment-booking");
    expect(await page.locator(".msg.me .body").allTextContents()).toEqual(["hi again"]);
    await page.close();
  }, 90_000);
});
