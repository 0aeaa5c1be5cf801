// node bench/cpu-per-message.mjs [--rate=500] [--messages=10000] [--users=250] [--responder-flags="..."]
//                                [--responders=0] [--reference] [--aof]
// The bench's stack (gateway, router, responder on their own Redis, docker-compose's node flags)
// under one load, printing each service's (and Redis's) CPU per message and peak resident memory:
// for A/B runs of one change, a minute each (docs/benchmarks.md). Without --rate, as fast as it goes.
// --responder-flags adds node flags to the responder (they win over compose's).
// --responders=0: no responder, so the figures are the first hop's alone (webhook to
//   conversation.routed): the floor of the design before any reply is made ("The design's floor").
// --reference: the minimal reference pipeline (bench/reference-pipeline.mjs) under the same load.
// --aof: Redis with its append-only file (fsync every second), as `npm run bench` runs it.
// Run after a build.
import { createClient } from "redis";
import { startRedisServer } from "../testing/dist/servers.js";
import { APP_SECRET } from "./lib/payload.mjs";
import { cpuMs, runJson } from "./lib/procs.mjs";
import { startReference } from "./lib/reference.mjs";
import { repliesSettled, startStack } from "./lib/stack.mjs";

const opt = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rate = opt("rate") === undefined ? undefined : Number(opt("rate"));
const messages = Number(opt("messages", "10000"));
const users = Number(opt("users", "250"));
const responders = Number(opt("responders", "1"));
const reference = process.argv.includes("--reference");
const responderFlags = opt("responder-flags", "").split(" ").filter(Boolean);

const redis = await startRedisServer({ appendonly: process.argv.includes("--aof") });
const stack = reference
  ? await startReference({ redisUrl: redis.url })
  : await startStack({
      redisUrl: redis.url,
      responders,
      perProcessArgs: { responder1: responderFlags },
    });
/** Without responders nothing replies: the run ends when the router has routed every message. */
const routedAll = async () => {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    for (;;) {
      let count = 0;
      for (const key of await client.keys("flank:stream:conversation.routed:*"))
        count += await client.xLen(key);
      if (count >= messages) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.quit();
  }
};
const settled = async () => {
  if (responders > 0 || reference) return `${await repliesSettled(stack, 3000)} replies`;
  await routedAll();
  return "routed, no responder";
};
try {
  // Redis too: it does part of every message's work (one process per run, started here).
  const procs = [...stack.procs, ["redis", { pid: redis.pid }]];
  const before = Object.fromEntries(procs.map(([name, p]) => [name, cpuMs(p.pid)]));
  const load = { secret: APP_SECRET, amount: messages, connections: 50, users, tag: "cpu" };
  await runJson(["bench/load.mjs", stack.url, JSON.stringify(rate ? { ...load, rate, warmupS: 2 } : load)]);
  const outcome = await settled();
  const perMessage = Object.fromEntries(
    procs.map(([name, p]) => [name, Math.round(((cpuMs(p.pid) - before[name]) * 1000) / messages)]),
  );
  const total = Object.values(perMessage).reduce((sum, us) => sum + us, 0);
  console.log(`${messages} messages${rate ? ` at ${rate}/s` : ""} from ${users} users, ${outcome}`);
  console.log("CPU µs a message:", JSON.stringify({ ...perMessage, total }));
  console.log(
    "peak RSS MB:",
    JSON.stringify(Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.peakRssMb()]))),
  );
} finally {
  await stack.stop();
  await redis.stop();
}
