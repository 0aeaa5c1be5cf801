// Instructions a webhook costs the gateway's main thread, counted by valgrind (callgrind): the
// same build and load read the same count within ~2 % whatever else the machine does, where
// req/s and CPU time swing by a third on a shared 2-core machine. For A/B runs of the ingest path.
// Usage (after a build): node bench/webhook-instructions.mjs [--reference] [--warm=1500]
//   [--measured=1000] [--connections=10]
// --reference counts the plain Hono handler (bench/reference-hono.mjs) instead of the gateway.
// Needs valgrind; the gateway runs ~50 times slower under it, so a run takes about two minutes.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startRedisServer } from "../testing/dist/servers.js";
import { APP_SECRET } from "./lib/payload.mjs";
import { httpReady, runJson } from "./lib/procs.mjs";
import { baseEnv, serviceArgs } from "./lib/stack.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const reference = args.includes("--reference");
const warm = option("warm", 1500);
const measured = option("measured", 1000);
const connections = option("connections", 10);
const root = new URL("../", import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), "flank-callgrind-"));
const redis = await startRedisServer();
const port = await freePort();
const target = reference ? ["bench/reference-hono.mjs", String(port), redis.url] : serviceArgs("gateway");
// V8 writes its code at run time: callgrind must look for changed code outside mapped files.
const child = spawn(
  "valgrind",
  [
    "--tool=callgrind",
    "--smc-check=all-non-file",
    "--separate-threads=yes",
    `--callgrind-out-file=${dir}/cg.%p`,
    process.execPath,
    ...target,
  ],
  {
    cwd: root,
    env: {
      ...process.env,
      ...baseEnv,
      BUS: "redis",
      REDIS_URL: redis.url,
      PORT: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "pipe"],
  },
);
let stderr = "";
child.stderr.on("data", (d) => {
  stderr = (stderr + d).slice(-4000);
});
const url = `http://127.0.0.1:${port}/webhook/whatsapp`;
// The reference has no /readyz: any answer means it listens.
const up = reference
  ? () =>
      fetch(url, { method: "POST" }).then(
        () => true,
        () => false,
      )
  : httpReady(`http://127.0.0.1:${port}/readyz`);
try {
  const deadline = Date.now() + 300_000;
  while (!(await up())) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`not up under valgrind:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const load = (amount) =>
    runJson(["bench/load.mjs", url, JSON.stringify({ secret: APP_SECRET, connections, amount })]);
  await load(warm); // compiled hot paths, grown heap
  execFileSync("callgrind_control", ["--zero", String(child.pid)], { stdio: "ignore" });
  const result = await load(measured);
  execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" });
  // One file per thread: "-01" is the main thread; the others are V8's compiler and GC helpers.
  const perThread = readdirSync(dir)
    .filter((f) => /\.\d+-\d+$/.test(f))
    .map((f) => [
      f.split("-").at(-1),
      Number(/^summary: (\d+)/m.exec(readFileSync(join(dir, f), "utf8"))?.[1] ?? 0),
    ]);
  const main = perThread.find(([thread]) => thread === "01")?.[1] ?? 0;
  const others = perThread.reduce((sum, [thread, n]) => (thread === "01" ? sum : sum + n), 0);
  process.stdout.write(
    `${JSON.stringify({
      target: reference ? "reference-hono" : "gateway",
      webhooks: measured,
      failed: result.errors + result.non2xx,
      mainThreadInstructionsPerWebhook: Math.round(main / measured),
      otherThreadsInstructionsPerWebhook: Math.round(others / measured),
    })}\n`,
  );
} finally {
  child.kill("SIGKILL");
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
