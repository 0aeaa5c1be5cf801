// node bench/heap-in-flight.mjs [messages] [--history=N]: what replies in flight hold in the responder.
// A 30 s model holds every reply in flight; then a heap snapshot of the responder is summed by
// kind of object (docs/benchmarks.md, "Where this stands"). --history=N first gives each user N
// exchanges with an instant model, so the replies carry a session's history as under real load
// (the latency phases' users have 10–30). Run after `npm run build`.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedisServer } from "../testing/dist/servers.js";
import { waitFor } from "../testing/dist/wait.js";
import { APP_SECRET } from "./lib/payload.mjs";
import { runJson } from "./lib/procs.mjs";
import { repliesSettled, startStack } from "./lib/stack.mjs";

const messages = Number(process.argv.slice(2).find((a) => !a.startsWith("--")) ?? 1000);
const history = Number(process.argv.find((a) => a.startsWith("--history="))?.slice(10) ?? 0);
const dir = mkdtempSync(join(tmpdir(), "flank-heap-"));
const redis = await startRedisServer({});
const stack = await startStack({
  redisUrl: redis.url,
  perProcessArgs: { responder1: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`] },
});
let file;
try {
  if (history > 0) {
    const warm = {
      secret: APP_SECRET,
      rate: 500,
      amount: messages * history,
      connections: 50,
      users: messages,
    };
    await runJson(["bench/load.mjs", stack.url, JSON.stringify({ ...warm, tag: "history" })]);
    await repliesSettled(stack, 2000);
  }
  await stack.control("/__bench/model", { fixedMs: 30_000 });
  const load = {
    secret: APP_SECRET,
    rate: 200,
    amount: messages,
    connections: 50,
    users: messages,
    tag: "heap",
  };
  await runJson(["bench/load.mjs", stack.url, JSON.stringify(load)]);
  await waitFor(async () => (await stack.control("/__bench/inflight")).now >= Math.min(messages, 1000), {
    what: "replies in flight",
    timeoutMs: 20_000,
  });
  const inflight = await stack.control("/__bench/inflight");
  process.kill(stack.procs.get("responder1").pid, "SIGUSR2");
  await waitFor(() => readdirSync(dir).some((f) => f.endsWith(".heapsnapshot")), {
    what: "the heap snapshot",
    timeoutMs: 30_000,
  });
  // The file is written in one go once named; give the writer its last flush.
  file = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith(".heapsnapshot")),
  );
  await waitFor(
    () => {
      try {
        JSON.parse(readFileSync(file, "utf8"));
        return true;
      } catch {
        return false;
      }
    },
    { what: "a complete snapshot", timeoutMs: 30_000 },
  );
  console.log(`model calls in flight: ${inflight.now}`);
} finally {
  await stack.stop();
  await redis.stop();
}

const snap = JSON.parse(readFileSync(file, "utf8"));
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
const byKind = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += fields.length) {
  const type = types[snap.nodes[i + iType]];
  const name = type.includes("string") ? "" : snap.strings[snap.nodes[i + iName]];
  const key = `${type} ${name}`.trim().slice(0, 60);
  const size = snap.nodes[i + iSize];
  total += size;
  const e = byKind.get(key) ?? { size: 0, count: 0 };
  e.size += size;
  e.count++;
  byKind.set(key, e);
}
console.log(`live heap ${(total / 1e6).toFixed(1)} MB; largest kinds (MB, count):`);
for (const [key, e] of [...byKind].sort((a, b) => b[1].size - a[1].size).slice(0, 20))
  console.log(`${(e.size / 1e6).toFixed(2).padStart(7)} ${String(e.count).padStart(8)}  ${key}`);
