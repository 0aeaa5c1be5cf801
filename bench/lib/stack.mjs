import { composeNodeFlags, freePort } from "../../testing/dist/index.js";
import { APP_SECRET, PHONE_NUMBER_ID } from "./payload.mjs";
import { httpReady, startProcess } from "./procs.mjs";

/**
 * A service as docker-compose.yml runs it: its node flags (the workers' heap sizing), so the memory
 * figures are those of the shipped settings, then `extra` flags (they win: a CPU profile), then its entry.
 */
export const serviceArgs = (name, extra = []) => [
  ...composeNodeFlags(name),
  ...extra,
  `${name}/dist/main.js`,
];

export const baseEnv = {
  NODE_ENV: "production",
  APP_SECRET,
  API_KEYS: "bench-key",
  ENCRYPTION_KEY: "5d2c8e1f0a3b6c9d4e7f2a5b8c1d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d",
  PHONE_NUMBER_ID,
  WHATSAPP_TOKEN: "bench-token",
  VERIFY_TOKEN: "bench-verify",
  STORE: "memory",
};

/**
 * The stand-ins for Meta and OpenAI (bench/stubs.mjs) in their own process, with its control API:
 * `control(path, body?)` and `replies()`, every reply so far: [to, at, tokens[]].
 */
export async function startStubs() {
  const stubs = startProcess("stubs", ["bench/stubs.mjs"], {}, { ready: (o) => o.includes('"graph"') });
  await stubs.ready();
  const { graph, openai } = JSON.parse(stubs.output().trim().split("\n").at(-1));
  const control = async (path, body) => {
    const res = await fetch(`${graph}${path}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    return res.json();
  };
  // Replies so far, fetched incrementally: the whole log is tens of thousands of entries by the
  // last phase, and serializing it often would take CPU from the services under test.
  const log = [];
  const replies = async () => {
    log.push(...(await control(`/__bench/replies/${log.length}`)));
    return log;
  };
  return { stubs, graph, openai, control, replies };
}

/**
 * The stand-ins (bench/stubs.mjs) and gateway → routers → responders as separate processes on one
 * Redis, the way they are deployed. Any worker can be killed and started again by name.
 * `perProcessArgs` adds node flags to one process by name (a CPU profile: `--cpu-prof`).
 */
export async function startStack({
  redisUrl,
  env = {},
  routers = 1,
  responders = 1,
  logLevel = "warn",
  perProcessArgs = {},
}) {
  const { stubs, graph, openai, control, replies } = await startStubs();
  const port = await freePort();
  const common = {
    ...baseEnv,
    BUS: "redis",
    REDIS_URL: redisUrl,
    GRAPH_API_BASE: `${graph}/v25.0`,
    OPENAI_API_KEY: "bench-openai",
    OPENAI_BASE_URL: openai,
    // The stand-in is not Meta: lift the pacing that would otherwise be the bottleneck.
    SEND_RATE_PER_NUMBER: "10000",
    SEND_RATE_PER_RECIPIENT: "100",
    SEND_BURST_PER_RECIPIENT: "45",
    LOG_LEVEL: logLevel,
    ...env,
  };
  const specs = new Map([
    [
      "gateway",
      {
        service: "gateway",
        env: { PORT: String(port) },
        ready: httpReady(`http://127.0.0.1:${port}/readyz`),
      },
    ],
    ...Array.from({ length: routers }, (_, i) => [
      `router${i + 1}`,
      { service: "router", env: { LOG_LEVEL: "info" }, ready: (o) => o.includes("router started") },
    ]),
    ...Array.from({ length: responders }, (_, i) => [
      `responder${i + 1}`,
      { service: "responder", env: { LOG_LEVEL: "info" }, ready: (o) => o.includes("responder started") },
    ]),
  ]);
  const procs = new Map();
  const launch = (name) => {
    const spec = specs.get(name);
    const proc = startProcess(
      name,
      serviceArgs(spec.service, perProcessArgs[name]),
      { ...common, ...spec.env },
      { ready: spec.ready },
    );
    procs.set(name, proc);
    return proc;
  };
  for (const name of specs.keys()) launch(name);
  return {
    ...(await readyPipeline({ port, procs, stubs: { stubs, replies, control } })),
    /** kill -9 of one service. */
    kill: (name) => procs.get(name).kill("SIGKILL"),
    /** Starts a killed or stopped service again, under its name; resolves when it is ready. */
    restart: async (name) => {
      await procs.get(name).stop();
      await launch(name).ready();
    },
  };
}

/**
 * A pipeline's processes once ready, as the phases drive it: its webhook URL, processes, the
 * stand-ins' control and replies, and a stop of everything (processes last started first).
 */
export async function readyPipeline({ port, procs, stubs: { stubs, replies, control } }) {
  for (const proc of procs.values()) await proc.ready();
  return {
    url: `http://127.0.0.1:${port}/webhook/whatsapp`,
    stubs,
    procs,
    replies,
    control,
    async stop() {
      for (const proc of [...procs.values()].reverse()) await proc.stop();
      await stubs.stop();
    },
  };
}

/**
 * Every reply in, when a count cannot say so (a reply may answer a burst of a user's messages):
 * waits until `quietMs` pass without a new one; resolves to the replies so far.
 */
export async function repliesSettled(pipeline, quietMs) {
  let count = -1;
  for (let quiet = 0; quiet * 250 < quietMs; ) {
    const now = (await pipeline.replies()).length;
    quiet = now === count ? quiet + 1 : 0;
    count = now;
    await new Promise((r) => setTimeout(r, 250));
  }
  return count;
}
