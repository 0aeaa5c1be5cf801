import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inboundTextWebhook, postWebhook } from "@flank/devtools";
import { hasBinary, waitFor } from "@flank/testing";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Embedded, startEmbedded } from "./embedded.js";
import { REPO_ROOT } from "./stack.js";
import { bareConfig, launchChromium, silentLog } from "./test-helpers.js";

const ADMIN_KEY = "admin-key-console-test-0123456789";
const ZE = "16505550101";
/** Where the screenshots go (gitignored): see docs/agents.md. */
const ARTIFACTS = join(REPO_ROOT, "test-artifacts", "console");

// Two agents and a user, through the real gateway, router, responder and the Cloud API simulator,
// in headless Chromium: queue → take → reply → the user gets it → release → the bot answers again.
describe.skipIf(!hasBinary("chromium"))("operator console in Chromium", () => {
  let flank: Embedded;
  let context: BrowserContext;
  let phone: BrowserContext;
  const keys: Record<string, string> = {};

  const say = async (from: string, name: string, text: string) => {
    const { payload } = inboundTextWebhook({
      phoneNumberId: flank.config.whatsapp.phoneNumberId ?? "",
      from,
      name,
      text,
    });
    const res = await postWebhook(
      { url: `${flank.url}/webhook/whatsapp`, appSecret: flank.config.whatsapp.appSecret },
      payload,
    );
    expect(res.status).toBe(200);
  };
  /** Bodies of the texts the simulator accepted for a number: what the user's phone received. */
  const received = (to: string) =>
    (flank.simulator?.accepted ?? [])
      .filter((a) => a.to?.replace(/^\+/, "") === to)
      .map((a) => {
        const body = a.body as { text?: { body?: string }; interactive?: { body?: { text?: string } } };
        return body.text?.body ?? body.interactive?.body?.text ?? "";
      });
  const admin = (path: string, body?: unknown) =>
    fetch(`${flank.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const signIn = async (ctx: BrowserContext, agent: string) => {
    const page = await ctx.newPage();
    await page.goto(`${flank.url}/console`);
    await page.fill("#key", keys[agent] ?? "");
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector("#app:not([hidden])");
    await page.waitForSelector("#live.on");
    return page;
  };
  const shot = async (page: Page, name: string) => {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(5_000);
  };

  beforeAll(async () => {
    // One conversation each at most, so a third handoff waits in the queue for someone to take it.
    flank = await startEmbedded(
      bareConfig({ ADMIN_API_KEYS: ADMIN_KEY, AGENT_MAX_CONVERSATIONS: "1" }),
      silentLog(),
      {
        port: 0,
        statusTiming: { deliveredMs: 100, readMs: 300, retryDelayMs: 50 },
      },
    );
    for (const [id, name] of [
      ["ana", "Ana Souza"],
      ["bob", "Bob Lee"],
    ] as const) {
      const res = await admin("/v1/admin/agents", { id, name, tenants: ["*"] });
      expect(res.status).toBe(201);
      keys[id] = ((await res.json()) as { key: string }).key;
    }
    for (const viewport of [undefined, { width: 390, height: 844 }]) {
      const ctx = await launchChromium(viewport);
      if (viewport) phone = ctx;
      else context = ctx;
    }
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await phone?.close();
    await flank?.stop();
  });

  it("queue → take → reply → the user receives it → release → the bot answers again", async () => {
    const ana = await signIn(context, "ana");
    const bob = await signIn(context, "bob");
    const errors: string[] = [];
    for (const p of [ana, bob]) p.on("pageerror", (e) => errors.push(e.message));

    // Both agents busy with one chat each (the cap), so the next handoff stays queued.
    await say("16505550201", "Busy One", "agent please");
    await say("16505550202", "Busy Two", "agent please");
    await waitFor(
      async () => {
        const res = await admin("/v1/agents");
        const { agents } = (await res.json()) as { agents: { load: number }[] };
        return agents.length === 2 && agents.every((a) => a.load === 1);
      },
      { what: "both agents busy", timeoutMs: 10_000 },
    );

    // The user's side in the playground (the same conversation's events), to see who answers.
    const user = await context.newPage();
    await user.goto(flank.playgroundUrl ?? "");
    // The page connects by itself once it knows the flows; switch user after that.
    await user.waitForSelector("#send:not([disabled])");
    await user.fill("#from", ZE);
    await user.fill("#name", "Zé");
    await user.click("#start");
    await user.waitForSelector("#send:not([disabled])");

    // The user talks to the bot, then asks for a person: queued, and told someone is coming.
    await say(ZE, "Zé", "hi");
    await waitFor(() => received(ZE).some((t) => t.includes("assistant")), { what: "the bot's reply" });
    await say(ZE, "Zé", "can I talk to a human?");
    const flow = "I'm connecting you with a person";
    await waitFor(() => received(ZE).some((t) => t.startsWith(flow)), { what: "the handoff message" });

    // Ana's queue shows Zé with one unread message (live, over the agent stream).
    const item = ana.locator("#conversations .item", { hasText: "Zé" });
    await item.waitFor();
    expect(await item.locator(".badge").textContent()).toBe("1");
    expect(await ana.textContent("#count-queue")).toBe("1");
    await shot(ana, "1-queue");

    await item.click();
    await ana.waitForSelector("#chat:not([hidden])");
    await ana.waitForSelector('.msg.system:has-text("connecting you")');
    await ana.waitForSelector('.msg.bot:has-text("assistant")');
    expect(await ana.textContent('[data-fact="stage"]')).toBe("chat");
    expect(await ana.textContent('[data-fact="route"]')).toBe("queue");
    expect(await ana.textContent('[data-fact="name"]')).toBe("Zé");
    await ana.click("#take");
    await ana.waitForSelector("#composer:not([hidden])");
    await expect.poll(() => ana.textContent('[data-fact="route"]')).toBe("agent:ana");

    // Bob sees it move to Ana live, in the "All" list.
    await bob.click("#tab-all");
    await bob
      .locator("#conversations .item", { hasText: "Zé" })
      .locator(".sub", { hasText: "ana" })
      .waitFor();

    // Ana replies with text and quick-reply buttons; the user's phone receives both.
    await ana.fill("#text", "Hi Zé, Ana here. How can I help?");
    await ana.click("#send");
    await ana.click("#quick-toggle");
    await ana.fill("#quick-1", "Order status");
    await ana.fill("#quick-2", "Refund");
    await ana.fill("#text", "Pick one:");
    await ana.click("#send");
    await waitFor(() => received(ZE).includes("Hi Zé, Ana here. How can I help?"), {
      what: "the agent's reply",
    });
    await waitFor(() => received(ZE).includes("Pick one:"), { what: "the quick replies" });
    const buttons = flank.simulator?.accepted.find(
      (a) => a.to?.endsWith(ZE) && (a.body as { type?: string }).type === "interactive",
    );
    expect(JSON.stringify(buttons?.body)).toContain("Order status");
    // The agent's bubble names the agent and ends read (blue ticks from the simulator's status webhooks).
    const mine = ana.locator(".msg.agent", { hasText: "Ana here" });
    expect(await mine.locator(".author").textContent()).toBe("Ana Souza");
    await ana.waitForSelector('.msg.agent[data-status="read"]', { timeout: 15_000 });
    await shot(ana, "2-conversation");
    // In the playground, the agent's reply shows the agent's name.
    const reply = user.locator(".msg.bot", { hasText: "Ana here" });
    await reply.waitFor();
    expect(await reply.locator(".author").textContent()).toBe("Ana Souza");
    expect(await user.locator(".msg.bot .author").count()).toBe(2);
    await shot(user, "2-playground");

    // Released to the bot: the user's next message gets the bot's answer again.
    await ana.click("#release");
    await expect.poll(() => ana.textContent('[data-fact="route"]')).toBe("bot");
    const before = received(ZE).length;
    await say(ZE, "Zé", "one more question, please");
    await waitFor(
      () =>
        received(ZE)
          .slice(before)
          .some((t) => t.includes("assistant")),
      { what: "the bot again" },
    );
    await ana.waitForSelector('.msg.user:has-text("one more question")');
    await expect.poll(() => ana.locator('.msg.bot:has-text("assistant")').count()).toBe(2);
    await shot(ana, "3-released");
    await shot(bob, "4-second-agent");

    // On a phone-sized screen: the list, then the conversation alone.
    const small = await signIn(phone, "bob");
    await small.click("#tab-all");
    await small.locator("#conversations .item", { hasText: "Zé" }).click();
    await small.waitForSelector("#chat:not([hidden])");
    expect(await small.isVisible("#lists")).toBe(false);
    expect(await small.isVisible("#back")).toBe(true);
    await shot(small, "5-phone");
    await small.click("#back");
    expect(await small.isVisible("#lists")).toBe(true);

    expect(errors).toEqual([]);
  }, 90_000);
});
