import { createHmac } from "node:crypto";
import { composeNodeFlags, freePort, spawnNode, waitFor } from "@flank/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { buildGateway, GATEWAY_MAIN } from "./test-build.js";

const PNID = "106540352242922";
const APP_SECRET = "large-bodies-app-secret";

/** A Meta webhook of `n` text messages (each with its contact and a reply context): about 2.4 KB each. */
function largeBody(n: number, tag: string): string {
  const contacts: unknown[] = [];
  const messages: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const user = String(16505550000 + i);
    contacts.push({ profile: { name: `User ${i}` }, wa_id: user });
    messages.push({
      from: user,
      id: `wamid.${tag}.${i}.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA`,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: "text",
      text: { body: "Hello! ".repeat(300) },
      context: { from: "15550783881", id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA" },
    });
  }
  const metadata = { display_phone_number: "15550783881", phone_number_id: PNID };
  const value = { messaging_product: "whatsapp", metadata, contacts, messages };
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "102290129340398", changes: [{ field: "messages", value }] }],
  });
}

// The gateway as shipped (docker-compose.yml's node flags), as its own process, so its resident
// memory can be read.
describe("the gateway under large webhook bodies in parallel", () => {
  beforeAll(buildGateway, 120_000);

  it("survives eight parallel 2.4 MB bodies of 1,000 messages within 150 MB; refused ones get 503 and pass on retry", async () => {
    const port = await freePort();
    const gateway = spawnNode(
      GATEWAY_MAIN,
      {
        PORT: String(port),
        BUS: "memory",
        STORE: "memory",
        APP_SECRET,
        PHONE_NUMBER_ID: PNID,
        LOG_LEVEL: "error",
        NODE_ENV: "test",
      },
      composeNodeFlags("gateway"),
    );
    const url = `http://127.0.0.1:${port}/webhook/whatsapp`;
    const post = async (body: string) => {
      const signature = `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;
      const res = await fetch(url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
      });
      return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
    };
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        {
          timeoutMs: 20_000,
          what: "the gateway to listen",
        },
      );
      const bodies = Array.from({ length: 8 }, (_, i) => largeBody(1000, `b${i}`));
      expect(Buffer.byteLength(bodies[0] ?? "")).toBeGreaterThan(2_400_000);

      const answers = await Promise.all(bodies.map(post));
      expect(gateway.child.exitCode).toBeNull();
      for (const a of answers) {
        if (a.status === 200) expect(a.body).toEqual({ received: 1000, duplicates: 0 });
        else
          expect(a).toMatchObject({ status: 503, retryAfter: "1", body: { error: { code: "overloaded" } } });
      }
      expect(answers.some((a) => a.status === 200)).toBe(true);
      expect(gateway.peakRssMb()).toBeLessThanOrEqual(150);

      // Meta retries what was refused: nothing is lost.
      for (const [i, a] of answers.entries()) {
        if (a.status === 503)
          expect((await post(bodies[i] ?? "")).body).toEqual({ received: 1000, duplicates: 0 });
      }
      expect(gateway.child.exitCode).toBeNull();
      expect(gateway.output()).not.toMatch(/heap out of memory/);
    } finally {
      gateway.kill();
    }
  }, 90_000);
});
