// npm run bench: ingest against the bare-HTTP ceiling, end-to-end latency and memory.
// Everything runs on this machine over loopback, bounded in time; servers are started here.
// Options: --quick (shorter runs), --only=ingest|client|e2e|latency, --rates=300 (the latency
// phases' offered rates, 300,1000 by default), --responders=2 (responders in those phases, 1 by
// default), --profile=responder1,router1
// (CPU profiles of those e2e processes in bench/results/profiles). npm run bench builds first.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { createClient } from "redis";
import { freePort, startNatsServer, startRedisServer } from "../testing/dist/servers.js";
import { matchReplies, percentile } from "./lib/match.mjs";
import { APP_SECRET } from "./lib/payload.mjs";
import { cpuMs, httpReady, runJson, startProcess } from "./lib/procs.mjs";
import { startReference } from "./lib/reference.mjs";
import { markdown, referenceRatios } from "./lib/report.mjs";
import { baseEnv, serviceArgs, startStack } from "./lib/stack.mjs";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const only = [...args].find((a) => a.startsWith("--only="))?.slice(7);
/** The offered rates of the realistic-latency phases (`--rates=300` runs the targets' rate only). */
const RATES = ([...args].find((a) => a.startsWith("--rates="))?.slice(8) ?? "300,1000")
  .split(",")
  .map(Number);
/** --responders=2: the realistic-latency phases with that many responders (each with its own bounds). */
const LATENCY_RESPONDERS = Number([...args].find((a) => a.startsWith("--responders="))?.slice(13) ?? 1);
/** --dump: each phase's record (messages sent, model calls, replies) to bench/results/phase-<tag>.json. */
const dump = args.has("--dump");
/** --profile=responder1,router1: those processes of the e2e stack write a CPU profile on exit. */
const profiled =
  [...args]
    .find((a) => a.startsWith("--profile="))
    ?.slice(10)
    .split(",") ?? [];
if (only && !["ingest", "client", "e2e", "latency"].includes(only))
  throw new Error(`--only=${only}: expected ingest, client, e2e or latency`);
const SATURATION_S = quick ? 3 : 6;
const INGEST_ROUNDS = quick ? 3 : 5;
const WARMUP_S = quick ? 4 : 8;
const FIXED_S = quick ? 5 : 10;
/** Paced phases start with this much untimed load at the same rate (bench/lib/paced.mjs says why). */
const PACED_WARMUP_S = 2;
const E2E_MESSAGES = quick ? 5000 : 20_000;
const E2E_USERS = quick ? 250 : 1000;
const E2E_WARMUP = quick ? 1000 : 3000;
/** Seconds of timed load per realistic-latency phase, and the users sending it. */
const LATENCY_S = quick ? 10 : 30;
const LATENCY_USERS = 2000;
const root = new URL("../", import.meta.url).pathname;

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

/**
 * gateway → router → responder → Graph API simulator, as separate processes on Redis; the same
 * phases then drive the minimal reference pipeline (bench/reference-pipeline.mjs), on its own
 * Redis, so the report can give Flank's cost as a ratio to the essential work's.
 */
async function endToEnd(redis, start = startStack) {
  const profileDir = `${root}bench/results/profiles`;
  const perProcessArgs = Object.fromEntries(
    profiled.map((name) => [
      name,
      ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`],
    ]),
  );
  const stack = await start({ redisUrl: redis.url, perProcessArgs });
  const meter = await costMeter(stack, redis);
  try {
    const phases = [];
    // Cold services (code not yet compiled, heaps and connection pools not yet grown) first get a
    // warm-up phase, answered and checked like the rest and shown, so "sustained" is steady state.
    phases.push({
      name: `warm-up (${E2E_WARMUP.toLocaleString("en")} messages, cold services)`,
      ...(await e2ePhase(stack, meter, { amount: E2E_WARMUP, connections: 50, users: E2E_USERS, tag: "w" })),
    });
    phases.push({
      name: "sustained (as fast as it goes)",
      ...(await e2ePhase(stack, meter, {
        amount: E2E_MESSAGES,
        connections: 50,
        users: E2E_USERS,
        tag: "s",
      })),
    });
    // Fixed rates send a fixed amount, so no request is cut off in flight and every one is matched.
    for (const rate of [100, 1000]) {
      phases.push({
        name: `fixed ${rate.toLocaleString("en")} msg/s`,
        rate,
        ...(await e2ePhase(stack, meter, {
          rate,
          amount: rate * (PACED_WARMUP_S + (quick ? 5 : 10)),
          warmupS: PACED_WARMUP_S,
          connections: 100,
          users: E2E_USERS,
          tag: `f${rate}`,
        })),
      });
    }
    return { phases, ...stackReport(stack) };
  } finally {
    await meter.close();
    await stack.stop();
  }
}

/**
 * A model that answers in seconds, as real ones do: fixed 2 s and uniform 0.5–4 s, at 300 and
 * 1,000 msg/s from 2,000 users, services as separate processes on Redis. Reports throughput,
 * latency from the webhook to the Graph API send, the wait before the model is called, and the
 * model calls in flight.
 */
async function realLatency(redis) {
  // The shipped in-flight bounds (1,000): a 2 s model at 1,000 msg/s needs 2,000 replies in flight,
  // which the responder's 80 MB old generation does not hold (docs/benchmarks.md says why).
  const stack = await startStack({ redisUrl: redis.url, responders: LATENCY_RESPONDERS });
  const meter = await costMeter(stack, redis);
  const models = [
    { name: "2 s", latency: { fixedMs: 2000 }, longestMs: 2000 },
    { name: "0.5–4 s", latency: { minMs: 500, maxMs: 4000 }, longestMs: 4000 },
  ];
  try {
    // Warm the cold services with an instant model first, so the phases measure steady state.
    await stack.control("/__bench/model", { fixedMs: 0 });
    await e2ePhase(stack, meter, { amount: E2E_WARMUP, connections: 50, users: LATENCY_USERS, tag: "lw" });
    const phases = [];
    for (const rate of RATES) {
      for (const model of models) {
        await stack.control("/__bench/model", model.latency);
        await stack.control("/__bench/inflight", {});
        const phase = await e2ePhase(stack, meter, {
          rate,
          amount: rate * (PACED_WARMUP_S + LATENCY_S),
          warmupS: PACED_WARMUP_S,
          connections: 200,
          users: LATENCY_USERS,
          tag: `l${rate}x${phases.length}`,
        });
        phases.push({
          name: `${rate.toLocaleString("en")} msg/s, model ${model.name}`,
          rate,
          modelLongestMs: model.longestMs,
          modelInFlight: await stack.control("/__bench/inflight"),
          ...phase,
        });
      }
    }
    await stack.control("/__bench/model", { fixedMs: 0 });
    return { phases, ...stackReport(stack) };
  } finally {
    await meter.close();
    await stack.stop();
  }
}

const stackReport = (stack) => ({
  peakRssMb: Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.peakRssMb()])),
  problems: Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.problems()])),
});

/**
 * What a phase cost per message: each process's CPU time (services, stubs, redis-server) and the
 * commands Redis ran (INFO commandstats; commands inside scripts count too), from before its
 * first message until its last reply and the quiet after it.
 */
async function costMeter(stack, redis) {
  const pids = {
    ...Object.fromEntries([...stack.procs].map(([name, p]) => [name, p.pid])),
    redis: redis.pid,
    stubs: stack.stubs.pid,
  };
  const client = createClient({ url: redis.url });
  await client.connect();
  // Calls by command name (scripts' inner commands included).
  const commands = async () => {
    const info = await client.info("commandstats");
    return Object.fromEntries(
      [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
    );
  };
  const total = (byName) => Object.values(byName).reduce((sum, n) => sum + n, 0);
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
        redisCommandsPerMessage: Number(
          ((total(now.commands) - total(before.commands) - 1) / messages).toFixed(1),
        ),
        redisCommandsByName: Object.fromEntries(
          Object.entries(now.commands)
            .map(([name, n]) => [name, Number(((n - (before.commands[name] ?? 0)) / messages).toFixed(2))])
            .filter(([, n]) => n > 0),
        ),
      };
    },
    close: () => client.close(),
  };
}

/**
 * Sends a phase of messages, waits until every one is answered (a reply may answer a burst of a
 * user's messages together) and judges the phase by the tokens the replies echo (lib/match.mjs).
 */
async function e2ePhase(stack, meter, options) {
  const before = (await stack.replies()).length;
  const modelBefore = (await stack.control("/__bench/model/0")).length;
  const spent = await meter.start();
  const recordFile = `${root}bench/results/sent.tmp`;
  const result = await load(stack.url, { ...options, recordFile });
  const sent = JSON.parse(readFileSync(recordFile, "utf8"));
  rmSync(recordFile, { force: true });
  const expected = new Set(sent.map(([token]) => token));
  // Every answer, then 3 s of quiet, so late duplicates are counted here and not in the next phase.
  const deadline = Date.now() + 180_000;
  let got = [];
  let quietSince = Date.now();
  for (;;) {
    const now = (await stack.replies()).slice(before);
    if (now.length !== got.length) quietSince = Date.now();
    got = now;
    const answered = new Set(got.flatMap(([, , tokens]) => tokens));
    const done = [...expected].every((t) => answered.has(t));
    if ((done && Date.now() - quietSince >= 3000) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const cost = await meter.since(spent, Math.max(1, sent.length));
  const matched = matchReplies(sent, got);
  // When each message reached the model: the wait before it (queueing in Flank, not the model).
  const firstAsked = new Map();
  for (const [at, tokens] of await stack.control(`/__bench/model/${modelBefore}`))
    for (const token of tokens) if (!firstAsked.has(token)) firstAsked.set(token, at);
  if (dump)
    writeFileSync(
      `${root}bench/results/phase-${options.tag}.json`,
      JSON.stringify({ sent, model: await stack.control(`/__bench/model/${modelBefore}`), replies: got }),
    );
  const waits = sent
    .filter(([token, , , timed]) => timed !== false && firstAsked.has(token))
    .map(([token, , sentAt]) => Math.round(firstAsked.get(token) - sentAt))
    .sort((a, b) => a - b);
  // Steady-state rate: replies a second between the 10th and the 90th percentile of their
  // arrival. It equals the offered rate when the pipeline keeps up, whatever the spread of the
  // model's latency (from the first reply to the last, a 0.5–4 s model stretched a 32 s phase by
  // 3.5 s), and falls when replies come slower than messages arrive.
  const replyTimes = got.map(([, t]) => t).sort((x, y) => x - y);
  const at = (q) => replyTimes[Math.min(replyTimes.length - 1, Math.floor(q * replyTimes.length))];
  const steadyRate = (0.8 * replyTimes.length) / ((at(0.9) - at(0.1)) / 1000);
  const answeredPerReply = matched.answered / Math.max(1, replyTimes.length);
  const { latencies } = matched;
  return {
    messages: sent.length,
    replies: got.length,
    answered: matched.answered,
    lost: matched.lost,
    duplicates: matched.duplicates,
    outOfOrder: matched.outOfOrder,
    outOfSendOrder: matched.outOfSendOrder,
    lateWebhooks: matched.lateWebhooks,
    everyMessageAnsweredOnce: matched.lost === 0 && matched.duplicates === 0 && matched.unknown === 0,
    throughputPerS: Math.round(steadyRate * answeredPerReply),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    waitBeforeModelMs: { p50: percentile(waits, 50), p99: percentile(waits, 99) },
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
if (!only || only === "e2e") {
  results.endToEnd = await withRedis(endToEnd);
  results.endToEnd.reference = await withRedis((redis) => endToEnd(redis, startReference));
  results.endToEnd.vsReference = referenceRatios(results.endToEnd);
}
if (!only || only === "latency") results.realLatency = await withRedis(realLatency);

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${markdown(results)}\n`);
