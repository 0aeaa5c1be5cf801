// npm run bench: ingest against the bare-HTTP ceiling, end-to-end latency and memory.
// Everything runs on this machine over loopback, bounded in time; servers are started here.
// Options: --quick (shorter runs), --only=ingest|client|e2e, --no-build.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { createClient } from "redis";
import { parse } from "yaml";
import { freePort, startNatsServer, startRedisServer } from "../shared/dist/testing/servers.js";
import { APP_SECRET, PHONE_NUMBER_ID } from "./lib/payload.mjs";
import { cpuMs, httpReady, runJson, startProcess } from "./lib/procs.mjs";
import { markdown } from "./lib/report.mjs";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const only = [...args].find((a) => a.startsWith("--only="))?.slice(7);
if (only && !["ingest", "client", "e2e"].includes(only))
  throw new Error(`--only=${only}: expected ingest, client or e2e`);
const SATURATION_S = quick ? 3 : 6;
const INGEST_ROUNDS = quick ? 3 : 5;
const WARMUP_S = quick ? 4 : 8;
const FIXED_S = quick ? 5 : 10;
/** Paced phases start with this much untimed load at the same rate (bench/lib/paced.mjs says why). */
const PACED_WARMUP_S = 2;
const E2E_MESSAGES = quick ? 5000 : 20_000;
const E2E_USERS = quick ? 250 : 1000;
const E2E_WARMUP = quick ? 1000 : 3000;
const root = new URL("../", import.meta.url).pathname;

if (!args.has("--no-build"))
  execFileSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], {
    cwd: root,
    stdio: "inherit",
  });

// Each service runs with the node flags docker-compose.yml gives it (the workers' heap sizing),
// so the memory figures are those of the shipped settings.
const compose = parse(readFileSync(`${root}docker-compose.yml`, "utf8"), { merge: true });
const serviceArgs = (name) => {
  const command = compose.services[name]?.command;
  if (command?.[0] !== "node") throw new Error(`docker-compose.yml: ${name} is not run with node`);
  return command.slice(1);
};

const baseEnv = {
  NODE_ENV: "production",
  APP_SECRET,
  API_KEYS: "bench-key",
  ENCRYPTION_KEY: "a".repeat(64),
  PHONE_NUMBER_ID,
  WHATSAPP_TOKEN: "bench-token",
  VERIFY_TOKEN: "bench-verify",
  STORE: "memory",
};

async function load(url, options) {
  return runJson(["bench/load.mjs", url, JSON.stringify({ secret: APP_SECRET, ...options })]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * A paced 5,000 req/s against each server, then saturation (-c 100) in interleaved rounds, with
 * all servers up at once. The paced phases come first, while Redis is small: the streams grow by
 * ~1 GB over the saturation rounds, and Redis then forks for each AOF rewrite (about 26 ms here),
 * which a later 10 s window may or may not catch.
 * The ceiling is the load generator's own limit and swings with whatever else the machine does,
 * so each round measures ceiling and gateways back to back, and the ratio is the median of the
 * rounds' ratios: a noisy minute moves both sides of one ratio.
 */
async function ingestRuns(servers) {
  // Warm: compiled hot paths and a grown heap. After 2 s the gateway's paced p99 still read
  // 35-51 ms (the bare servers have little code to warm); after 8 s of load, 9-23 ms.
  for (const s of servers) await load(s.url, { connections: 100, duration: WARMUP_S });
  const fixed = [];
  for (const s of servers)
    fixed.push(
      await load(s.url, { connections: 100, duration: FIXED_S, rate: 5000, warmupS: PACED_WARMUP_S }),
    );
  const rounds = servers.map(() => []);
  for (let round = 0; round < INGEST_ROUNDS; round++) {
    for (const [i, s] of servers.entries())
      rounds[i].push(await load(s.url, { connections: 100, duration: SATURATION_S }));
  }
  return servers.map((s, i) => {
    const ratios = rounds[i].map((r, k) => Number((r.rps / rounds[0][k].rps).toFixed(3)));
    return {
      name: s.name,
      rounds: rounds[i],
      ratios,
      ratio: median(ratios),
      saturation: rounds[i].find((r) => r.rps === median(rounds[i].map((x) => x.rps))),
      fixed: fixed[i],
      peakRssMb: s.proc.peakRssMb(),
    };
  });
}

/** A server on a free port, started and ready; `args` and `ready` get the port. */
async function startServer(name, args, { env = {}, ready = () => (o) => o.includes("listening") } = {}) {
  const port = await freePort();
  const proc = startProcess(name, args(port), { ...env, PORT: String(port) }, { ready: ready(port) });
  await proc.ready();
  return { name, proc, url: `http://127.0.0.1:${port}/webhook/whatsapp` };
}

const startGateway = (name, busEnv) =>
  startServer(name, () => serviceArgs("gateway"), {
    env: { ...baseEnv, ...busEnv },
    ready: (port) => httpReady(`http://127.0.0.1:${port}/readyz`),
  });

async function ingest(redis, nats) {
  const servers = [];
  try {
    servers.push(await startServer("node:http ceiling", (port) => ["bench/ceiling.mjs", String(port)]));
    servers.push(await startGateway("gateway, Redis bus", { BUS: "redis", REDIS_URL: redis.url }));
    servers.push(await startGateway("gateway, NATS bus", { BUS: "nats", NATS_URL: nats.url }));
    servers.push(
      await startServer("reference: plain Hono, verify + XADD", (port) => [
        "bench/reference-hono.mjs",
        String(port),
        redis.url,
      ]),
    );
    return { runs: await ingestRuns(servers) };
  } finally {
    for (const s of servers) await s.proc.stop();
  }
}

/** gateway → router → responder → Graph API simulator, as separate processes on Redis. */
async function endToEnd(redis) {
  const stubs = startProcess("stubs", ["bench/stubs.mjs"], {}, { ready: (o) => o.includes('"graph"') });
  await stubs.ready();
  const { graph, openai } = JSON.parse(stubs.output().trim().split("\n").at(-1));
  const port = await freePort();
  const env = {
    ...baseEnv,
    BUS: "redis",
    REDIS_URL: redis.url,
    GRAPH_API_BASE: `${graph}/v25.0`,
    OPENAI_API_KEY: "bench-openai",
    OPENAI_BASE_URL: openai,
    // The simulator is not Meta: lift the pacing that would otherwise be the bottleneck.
    SEND_RATE_PER_NUMBER: "10000",
    SEND_RATE_PER_RECIPIENT: "100",
    SEND_BURST_PER_RECIPIENT: "45",
  };
  const services = [
    startProcess(
      "gateway",
      serviceArgs("gateway"),
      { ...env, PORT: String(port) },
      {
        ready: httpReady(`http://127.0.0.1:${port}/readyz`),
      },
    ),
    startProcess(
      "router",
      serviceArgs("router"),
      { ...env, LOG_LEVEL: "info" },
      {
        ready: (o) => o.includes("router started"),
      },
    ),
    startProcess(
      "responder",
      serviceArgs("responder"),
      { ...env, LOG_LEVEL: "info" },
      {
        ready: (o) => o.includes("responder started"),
      },
    ),
  ];
  const url = `http://127.0.0.1:${port}/webhook/whatsapp`;
  const meter = await costMeter(
    { ...Object.fromEntries(services.map((s) => [s.name, s.pid])), redis: redis.pid, stubs: stubs.pid },
    redis.url,
  );
  // Replies so far, fetched incrementally: the whole log is tens of thousands of entries by the
  // last phase, and serializing it four times a second took CPU from the services under test.
  const log = [];
  const replies = async () => {
    log.push(...(await (await fetch(`${graph}/__bench/replies/${log.length}`)).json()));
    return log;
  };
  try {
    for (const s of services) await s.ready();
    const phases = [];
    // Cold services (code not yet compiled, heaps and connection pools not yet grown) first get a
    // warm-up phase, answered and checked like the rest and shown, so "sustained" is steady state.
    phases.push({
      name: `warm-up (${E2E_WARMUP.toLocaleString("en")} messages, cold services)`,
      ...(await e2ePhase(url, replies, meter, { amount: E2E_WARMUP, connections: 50, users: E2E_USERS })),
    });
    phases.push({
      name: "sustained (as fast as it goes)",
      ...(await e2ePhase(url, replies, meter, { amount: E2E_MESSAGES, connections: 50, users: E2E_USERS })),
    });
    // Fixed rates send a fixed amount, so no request is cut off in flight and every one is matched.
    for (const rate of [100, 1000]) {
      phases.push({
        name: `fixed ${rate.toLocaleString("en")} msg/s`,
        rate,
        ...(await e2ePhase(url, replies, meter, {
          rate,
          amount: rate * (PACED_WARMUP_S + (quick ? 5 : 10)),
          warmupS: PACED_WARMUP_S,
          connections: 100,
          users: E2E_USERS,
        })),
      });
    }
    const peak = Object.fromEntries(services.map((s) => [s.name, s.peakRssMb()]));
    const problems = Object.fromEntries(services.map((s) => [s.name, s.problems()]));
    return { phases, peakRssMb: peak, problems };
  } finally {
    await meter.close();
    for (const s of services.reverse()) await s.stop();
    await stubs.stop();
  }
}

/**
 * What a phase cost per message: each process's CPU time (services, stubs, redis-server) and the
 * commands Redis ran (INFO commandstats; commands inside scripts count too), from before its
 * first message until its last reply and the quiet after it.
 */
async function costMeter(pids, redisUrl) {
  const client = createClient({ url: redisUrl });
  await client.connect();
  const commands = async () => {
    const info = await client.info("commandstats");
    return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  const snapshot = async () => ({
    cpu: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)])),
    commands: await commands(),
  });
  return {
    start: snapshot,
    async since(before, messages) {
      const now = await snapshot();
      const per = (x) => Math.round((x * 1000) / messages);
      return {
        cpuUsPerMessage: Object.fromEntries(
          Object.entries(now.cpu).map(([name, ms]) => [name, per(ms - before.cpu[name])]),
        ),
        // Less the INFO calls themselves: one per snapshot.
        redisCommandsPerMessage: Number(((now.commands - before.commands - 1) / messages).toFixed(1)),
      };
    },
    close: () => client.close(),
  };
}

/** Sends a phase of messages, waits for every reply, and matches each user's k-th reply to their k-th message. */
async function e2ePhase(url, replies, meter, options) {
  const before = (await replies()).length;
  const spent = await meter.start();
  const recordFile = `${root}bench/results/sent.tmp`;
  const result = await load(url, { ...options, recordFile });
  const sent = JSON.parse(readFileSync(recordFile, "utf8"));
  const expected = result.requests - result.non2xx;
  // Every reply, then 3 s of quiet, so late duplicates are counted here and not in the next phase.
  const deadline = Date.now() + 180_000;
  let got = [];
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const now = (await replies()).slice(before);
    if (now.length !== got.length) quietSince = Date.now();
    got = now;
    if (got.length >= expected && Date.now() - quietSince >= 3000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const cost = await meter.since(spent, Math.max(1, got.length));
  // Each message's user and send time, in the load generator's order (autocannon setupRequest order).
  const users = options.users;
  const sentByUser = new Map();
  sent.forEach(([, t, timed], i) => {
    const user = String(16500000000 + (i % users));
    if (!sentByUser.has(user)) sentByUser.set(user, []);
    sentByUser.get(user).push([t, timed]);
  });
  const repliesByUser = new Map();
  for (const [user, t] of got) {
    if (!repliesByUser.has(user)) repliesByUser.set(user, []);
    repliesByUser.get(user).push(t);
  }
  const latencies = [];
  let mismatched = 0;
  for (const [user, times] of sentByUser) {
    const r = repliesByUser.get(user) ?? [];
    if (r.length !== times.length) mismatched++;
    for (let k = 0; k < Math.min(r.length, times.length); k++) {
      const [t, timed] = times[k];
      // A paced phase's warm-up messages are matched like the rest, but not timed.
      if (timed) latencies.push(r[k] - t);
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
  const first = Math.min(...sent.map(([, t]) => t));
  const last = Math.max(...got.map(([, t]) => t));
  return {
    messages: expected,
    replies: got.length,
    exactlyOneReplyEach: got.length === expected && mismatched === 0,
    usersWithWrongReplyCount: mismatched,
    throughputPerS: Math.round(got.length / ((last - first) / 1000)),
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
    webhook: { rps: result.rps, non2xx: result.non2xx, errors: result.errors },
    ...cost,
  };
}

// Each part on its own servers: the end-to-end router must not find the ingest run's events.
const withRedis = async (run) => {
  const redis = await startRedisServer({ appendonly: true });
  try {
    return await run(redis);
  } finally {
    await redis.stop();
  }
};
const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  quick,
};
if (!only || only === "ingest") {
  const nats = await startNatsServer();
  try {
    results.ingest = await withRedis((redis) => ingest(redis, nats));
  } finally {
    await nats.stop();
  }
}
if (!only || only === "client")
  results.redisClient = await withRedis((redis) => runJson(["bench/redis-client.mjs", redis.url]));
if (!only || only === "e2e") results.endToEnd = await withRedis(endToEnd);

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${markdown(results)}\n`);
