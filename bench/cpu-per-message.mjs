// node bench/cpu-per-message.mjs [--rate=500] [--messages=10000] [--users=250] [--responder-flags="..."]
// The bench's stack (gateway, router, responder on their own Redis, docker-compose's node flags)
// under one load, printing each service's (and Redis's) CPU per message and peak resident memory:
// for A/B runs of one change, a minute each (docs/benchmarks.md). Without --rate, as fast as it goes.
// --responder-flags adds node flags to the responder (they win over compose's). Run after a build.
import { startRedisServer } from "../testing/dist/servers.js";
import { APP_SECRET } from "./lib/payload.mjs";
import { cpuMs, runJson } from "./lib/procs.mjs";
import { repliesSettled, startStack } from "./lib/stack.mjs";

const opt = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rate = opt("rate") === undefined ? undefined : Number(opt("rate"));
const messages = Number(opt("messages", "10000"));
const users = Number(opt("users", "250"));
const responderFlags = opt("responder-flags", "").split(" ").filter(Boolean);

const redis = await startRedisServer({});
const stack = await startStack({ redisUrl: redis.url, perProcessArgs: { responder1: responderFlags } });
try {
  // Redis too: it does part of every message's work (one process per run, started here).
  const procs = [...stack.procs, ["redis", { pid: redis.pid }]];
  const before = Object.fromEntries(procs.map(([name, p]) => [name, cpuMs(p.pid)]));
  const load = { secret: APP_SECRET, amount: messages, connections: 50, users, tag: "cpu" };
  await runJson(["bench/load.mjs", stack.url, JSON.stringify(rate ? { ...load, rate, warmupS: 2 } : load)]);
  const count = await repliesSettled(stack, 3000);
  const perMessage = Object.fromEntries(
    procs.map(([name, p]) => [name, Math.round(((cpuMs(p.pid) - before[name]) * 1000) / messages)]),
  );
  console.log(`${messages} messages${rate ? ` at ${rate}/s` : ""} from ${users} users, ${count} replies`);
  console.log("CPU µs a message:", JSON.stringify(perMessage));
  console.log(
    "peak RSS MB:",
    JSON.stringify(Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.peakRssMb()]))),
  );
} finally {
  await stack.stop();
  await redis.stop();
}
