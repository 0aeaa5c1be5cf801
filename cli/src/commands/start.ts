import { parseArgs } from "node:util";
import { type Config, configSecrets, parseConfig, readEnvFiles } from "@flank/shared/config";
import { createLogger, type LoggerOptions } from "@flank/shared/log";
import { banner } from "../banner.js";
import { startEmbedded } from "../embedded.js";
import { EXIT, type Io, untilAborted } from "../io.js";
import { portOption } from "./options.js";

/**
 * The embedded mode's root logger: unnamed, because each part adds its own `service` (a named
 * root gave every line a second `service` key, "flank" and then the part's).
 */
export const embeddedLogger = (config: Config, destination?: LoggerOptions["destination"]) =>
  createLogger({
    level: config.logLevel,
    secrets: configSecrets(config),
    ...(destination ? { destination } : {}),
  });

/** `flank start` (`npm start`): the embedded mode until Ctrl-C. */
export async function startCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string" }, host: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const port = values.port === undefined ? undefined : portOption(values.port);
  // A first run should show the banner, not every request: quieter unless LOG_LEVEL says otherwise.
  const env = { ...readEnvFiles(io.cwd), ...io.env };
  env.LOG_LEVEL ||= "warn";
  const config = parseConfig(env);
  const log = embeddedLogger(config);
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  try {
    embedded = await startEmbedded(config, log, {
      ...(port === undefined ? {} : { port }),
      ...(values.host ? { hostname: values.host } : {}),
      signal: io.signal,
    });
  } catch (err) {
    // Ctrl-C while connecting: what was built is already stopped; nothing to report.
    if (io.signal.aborted) return EXIT.ok;
    throw err;
  }
  io.stdout(banner(embedded));
  await untilAborted(io.signal);
  io.stderr("stopping…\n");
  await embedded.stop();
  return EXIT.ok;
}
