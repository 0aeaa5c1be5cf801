// The reference point: a plain Hono handler that only verifies the signature and XADDs
// the body (no normalization, dedup or taps). Usage: node reference-hono.mjs <port> <redis url>
import { createHmac, timingSafeEqual } from "node:crypto";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createClient } from "redis";
import { APP_SECRET } from "./lib/payload.mjs";

const [port, redisUrl] = process.argv.slice(2);
const redis = createClient({ url: redisUrl, commandOptions: { timeout: 0 } });
await redis.connect();
const app = new Hono();
app.post("/webhook/whatsapp", async (c) => {
  const body = Buffer.from(await c.req.arrayBuffer());
  const expected = Buffer.from(`sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`);
  const got = Buffer.from(c.req.header("x-hub-signature-256") ?? "");
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return c.text("bad signature", 401);
  // Trimmed like Flank's partition streams (BUS_STREAM_MAXLEN's default), so Redis grows alike.
  await redis.sendCommand([
    "XADD",
    "reference:webhooks",
    "MAXLEN",
    "~",
    "100000",
    "*",
    "body",
    body.toString("utf8"),
  ]);
  return c.text("ok");
});
const server = serve({ fetch: app.fetch, port: Number(port), hostname: "127.0.0.1" }, () =>
  process.stdout.write("listening\n"),
);
process.on("SIGTERM", () => server.close(() => redis.close().then(() => process.exit(0))));
