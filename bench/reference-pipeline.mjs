// The minimal reference pipeline: the essential work of answering a WhatsApp message with a
// model, and nothing else, so the bench can say what Flank costs beyond it (docs/benchmarks.md).
//   node reference-pipeline.mjs gateway <port> <redis url>
//     node:http; HMAC verify, JSON.parse, one XADD per message, 200 once it is stored.
//   node reference-pipeline.mjs worker <redis url> <openai base url> <graph base url>
//     XREADGROUP; per message one model call and one Graph API call over pooled keep-alive
//     connections, XADD of the result, XACK. A user's messages are answered one after the other.
// No dedup, taps, sessions, ledger, pacing, retries or dead-letter: it is a floor, not a product.
import { createHmac, timingSafeEqual } from "node:crypto";
import { Agent, createServer, request } from "node:http";
import { createClient } from "redis";
import { APP_SECRET, PHONE_NUMBER_ID } from "./lib/payload.mjs";

const STREAM = "reference:messages";
const RESULTS = "reference:results";
const GROUP = "reference";
// Trimmed like Flank's partition streams (BUS_STREAM_MAXLEN's default), so Redis grows alike.
const MAXLEN = "100000";

const [role, ...rest] = process.argv.slice(2);
const connect = async (url) => {
  const client = createClient({ url, commandOptions: { timeout: 0 } });
  await client.connect();
  return client;
};

if (role === "gateway") {
  const [port, redisUrl] = rest;
  const redis = await connect(redisUrl);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`);
      const got = Buffer.from(req.headers["x-hub-signature-256"] ?? "");
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        res.writeHead(401).end();
        return;
      }
      try {
        const payload = JSON.parse(body.toString("utf8"));
        const stored = [];
        for (const entry of payload.entry ?? [])
          for (const change of entry.changes ?? [])
            for (const m of change.value?.messages ?? [])
              if (m.type === "text")
                stored.push(
                  redis.sendCommand([
                    "XADD",
                    STREAM,
                    "MAXLEN",
                    "~",
                    MAXLEN,
                    "*",
                    "wamid",
                    m.id,
                    "from",
                    m.from,
                    "text",
                    m.text.body,
                  ]),
                );
        await Promise.all(stored);
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      } catch {
        res.writeHead(500).end();
      }
    });
  });
  server.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\n"));
  process.on("SIGTERM", () => server.close(() => redis.close().then(() => process.exit(0))));
} else if (role === "worker") {
  const [redisUrl, openaiBase, graphBase] = rest;
  const redis = await connect(redisUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (url, headers, payload) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(payload);
      const req = request(
        url,
        {
          method: "POST",
          agent,
          headers: {
            ...headers,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${text}`));
            else resolve(JSON.parse(text));
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
      req.once("error", reject);
      req.end(body);
    });
  const chatUrl = `${openaiBase}/chat/completions`;
  const sendUrl = `${graphBase}/${PHONE_NUMBER_ID}/messages`;
  const answer = async (entryId, from, text) => {
    const completion = await post(
      chatUrl,
      { authorization: "Bearer bench-openai" },
      {
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "You book appointments." },
          { role: "user", content: text },
        ],
      },
    );
    const reply = completion.choices[0].message.content;
    const sent = await post(
      sendUrl,
      { authorization: "Bearer bench-token" },
      { messaging_product: "whatsapp", to: from, type: "text", text: { body: reply } },
    );
    await Promise.all([
      redis.sendCommand([
        "XADD",
        RESULTS,
        "MAXLEN",
        "~",
        MAXLEN,
        "*",
        "entry",
        entryId,
        "wamid",
        sent.messages[0].id,
      ]),
      redis.sendCommand(["XACK", STREAM, GROUP, entryId]),
    ]);
  };
  try {
    await redis.sendCommand(["XGROUP", "CREATE", STREAM, GROUP, "0", "MKSTREAM"]);
  } catch (e) {
    if (!String(e.message).includes("BUSYGROUP")) throw e;
  }
  // Per user, the tail of the chain of its messages: a message is answered after the one before.
  const chains = new Map();
  let inFlight = 0;
  const MAX_IN_FLIGHT = 1000;
  let stopping = false;
  process.on("SIGTERM", () => {
    stopping = true;
  });
  const blocking = await connect(redisUrl);
  process.stdout.write("worker started\n");
  while (!stopping) {
    if (inFlight >= MAX_IN_FLIGHT) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const read = await blocking.sendCommand([
      "XREADGROUP",
      "GROUP",
      GROUP,
      "worker",
      "COUNT",
      "200",
      "BLOCK",
      "500",
      "STREAMS",
      STREAM,
      ">",
    ]);
    // RESP2 answers [[stream, entries]], RESP3 a stream → entries map.
    const entries = !read
      ? []
      : Array.isArray(read)
        ? read[0][1]
        : read instanceof Map
          ? [...read.values()][0]
          : Object.values(read)[0];
    for (const [entryId, fields] of entries) {
      const f = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      inFlight++;
      const next = (chains.get(f.from) ?? Promise.resolve())
        .then(() => answer(entryId, f.from, f.text))
        .catch((e) => process.stderr.write(`${e.message}\n`))
        .finally(() => {
          inFlight--;
          if (chains.get(f.from) === next) chains.delete(f.from);
        });
      chains.set(f.from, next);
    }
  }
  await Promise.all(chains.values());
  await Promise.all([blocking.close(), redis.close()]);
  process.exit(0);
} else {
  throw new Error(`reference-pipeline.mjs: role ${role}: expected gateway or worker`);
}
