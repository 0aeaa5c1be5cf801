// The Redis client choice (the known trap): node-redis 6 arms a per-command timeout by
// default; Flank turns it off (shared/src/redis/client.ts). Pipelined XADDs of a ~2 KB event, with
// the defaults and as Flank configures the client. Usage: node redis-client.mjs <redis url>
import { createClient } from "redis";

const [url] = process.argv.slice(2);
const event = JSON.stringify({ data: "x".repeat(2000) });
const TOTAL = 60_000;
const IN_FLIGHT = 200;

async function measure(name, options) {
  const client = createClient({ url, ...options });
  await client.connect();
  const run = async (n) => {
    let sent = 0;
    const worker = async () => {
      while (sent++ < n)
        await client.sendCommand(["XADD", "bench:client", "MAXLEN", "~", "10000", "*", "e", event]);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  await run(5000); // warm up
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(TOTAL);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await client.close();
  return {
    name,
    commandsPerS: Math.round(TOTAL / seconds),
    clientCpuUsPerCommand: Number(((used.user + used.system) / TOTAL).toFixed(1)),
  };
}

const results = [
  await measure("node-redis 6, defaults (per-command timeout)", {}),
  await measure("node-redis 6, commandOptions.timeout 0 (Flank)", { commandOptions: { timeout: 0 } }),
];
process.stdout.write(`${JSON.stringify(results)}\n`);
