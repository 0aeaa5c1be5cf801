import { parseArgs } from "node:util";
import { parseConfig, readEnvFiles } from "@flank/shared/config";
import { maskUrl } from "@flank/shared/lifecycle";
import { exportLine, generatedLines } from "../banner.js";
import { EXIT, type Io, untilAborted } from "../io.js";
import { hasRedisServer, type LocalRedis, planRedis, startLocalRedis } from "../local-redis.js";
import { startStack } from "../stack.js";
import { portOption } from "./options.js";

/**
 * `flank stack` (`npm run stack`): gateway, router and responder as three processes on Redis, for
 * users without Docker. Uses REDIS_URL, else a Redis on 127.0.0.1:6379, else starts one. Ctrl-C
 * stops everything it started.
 */
export async function stackCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: "string" } }, strict: true });
  const env = { ...readEnvFiles(io.cwd), ...io.env };
  const config = parseConfig(env);
  const port = values.port === undefined ? config.port : portOption(values.port);

  const plan = await planRedis({ url: config.redis.url });
  if (plan.kind === "unreachable") {
    io.stderr(`error: no Redis answers at REDIS_URL=${maskUrl(plan.url)}\n`);
    return EXIT.failure;
  }
  let redis: LocalRedis | undefined;
  if (plan.kind === "start") {
    if (!hasRedisServer()) {
      io.stderr(
        "error: no Redis on 127.0.0.1:6379 and redis-server is not installed: install it or set REDIS_URL\n",
      );
      return EXIT.failure;
    }
    redis = await startLocalRedis(plan.port);
    io.stderr(`started redis-server on ${redis.url} (data in ${redis.dir}, removed on exit)\n`);
  }
  const redisUrl = plan.kind === "use" ? plan.url : (redis?.url ?? "");
  try {
    const stack = await startStack({
      env,
      redisUrl,
      gatewayPort: port,
      out: (line) => io.stdout(`${line}\n`),
      signal: io.signal,
    }).catch((err) => {
      // Ctrl-C before the services were ready: they are stopped; nothing to report.
      if (io.signal.aborted) return undefined;
      throw err;
    });
    if (!stack) return EXIT.ok;
    io.stdout(
      [
        "",
        `Flank stack is running on ${redisUrl}: gateway, router and responder as separate processes.`,
        `  Webhook  ${stack.gatewayUrl}/webhook/whatsapp      Health ${stack.gatewayUrl}/readyz`,
        stack.simulator ? "  WhatsApp Cloud API: the built-in simulator (set WHATSAPP_TOKEN for Meta)" : "",
        ...generatedLines(stack.generated),
        "",
        "For the commands in the README and docs/, in another terminal:",
        `  ${exportLine({ url: stack.gatewayUrl, generated: stack.generated })}`,
        '  npx flank simulate --to "$FLANK_URL" --from 16505551234 --name Ana --text hi',
        "",
        `  Events: redis-cli -u ${redisUrl} PSUBSCRIBE 'flank.*'`,
        config.store.kind === "memory"
          ? "  STORE=memory: each process keeps its own store, so the responder does not see the 24-hour\n" +
            "  window the router opened and refuses free-form replies: set STORE=mongo and MONGODB_URI"
          : "",
        "Ctrl-C stops everything.",
        "",
      ]
        .filter((l, i, all) => l !== "" || i === 0 || i === all.length - 1)
        .join("\n"),
    );
    const outcome = await Promise.race([untilAborted(io.signal).then(() => undefined), stack.exited]);
    if (outcome) io.stderr(`error: ${outcome.name} exited with ${outcome.code}; stopping the others\n`);
    const clean = await stack.stop();
    return outcome || !clean ? EXIT.failure : EXIT.ok;
  } finally {
    await redis?.stop();
  }
}
