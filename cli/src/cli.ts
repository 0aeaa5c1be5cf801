import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { EXIT, type Io, UsageError } from "./io.js";

export { EXIT, type Io } from "./io.js";

type Command = (args: string[], io: Io) => Promise<number>;

// Loaded on demand, so `flank healthcheck` and `flank flows validate` do not load the services.
const COMMANDS: Record<string, { load: () => Promise<Command>; usage: string; about: string }> = {
  start: {
    load: async () => (await import("./commands/start.js")).startCommand,
    usage: "flank start [--port <n>] [--host <address>]",
    about: "gateway, router and responder in one process, with the playground (npm start)",
  },
  stack: {
    load: async () => (await import("./commands/stack.js")).stackCommand,
    usage: "flank stack [--port <gateway port>]",
    about: "the three services as separate processes on a local Redis (npm run stack)",
  },
  simulate: {
    load: async () => (await import("./commands/simulate.js")).simulateCommand,
    usage:
      "flank simulate --to <gateway url> --from <wa_id> --text <text> [--name <name>] [--phone-number-id <id>]",
    about: "send a signed inbound message to a running gateway (APP_SECRET from the environment)",
  },
  tail: {
    load: async () => (await import("./commands/tail.js")).tailCommand,
    usage: "flank tail [--topic <topic>]... [--conversation <id>] [--json]",
    about: "print live events from the bus (BUS=redis or nats)",
  },
  flows: {
    load: async () => (await import("./commands/flows.js")).flowsCommand,
    usage: "flank flows validate <file>...",
    about: "check flow files: OK, or each problem as file:line; exits 1 if any fails",
  },
  "rotate-keys": {
    load: async () => (await import("./commands/rotate-keys.js")).rotateKeysCommand(),
    usage: "flank rotate-keys",
    about: "re-encrypt integration secrets with ENCRYPTION_KEY, so ENCRYPTION_KEYS_OLD can be dropped",
  },
  healthcheck: {
    load: async () => (await import("./commands/healthcheck.js")).healthcheckCommand,
    usage: "flank healthcheck --file <path> [--max-age-ms <n>] [--missing ok|fail]",
    about: "container healthcheck for the workers: is the heartbeat file fresh",
  },
};

export const USAGE = [
  "Usage: flank <command> [options]",
  "",
  ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.about}`),
  "",
  "  flank --version\n      print the version",
  "",
  "Configuration comes from the environment and .env (see .env.example and docs/configuration.md).",
  "",
].join("\n");

const PARSE_ERRORS = new Set([
  "ERR_PARSE_ARGS_UNKNOWN_OPTION",
  "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
]);

/** The CLI package's version (dist/cli.js and src/cli.ts both sit one level below package.json). */
export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

/** Runs one command; never throws. Exit codes: 0 ok, 1 failure, 2 usage. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [name = "start", ...args] = argv;
  if (name === "help" || name === "--help" || name === "-h") {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`flank: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(`Usage: ${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await (await command.load())(args, io);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof UsageError || (typeof code === "string" && PARSE_ERRORS.has(code))) {
      io.stderr(`flank ${name}: ${(err as Error).message}\nUsage: ${command.usage}\n`);
      return EXIT.usage;
    }
    // Loaded here, not at the top: the light commands never pay for the shared package's drivers.
    const { FlankError } = await import("@flank/shared/errors");
    if (err instanceof FlankError) {
      io.stderr(`flank ${name}: ${err.message}\n`);
      return EXIT.failure;
    }
    io.stderr(`flank ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failure;
  }
}

/** The process entry (bin/flank.mjs, dist/main.js): wires stdout, signals and the exit code. */
export function runProcess(argv: string[]): void {
  const stop = new AbortController();
  let signal: NodeJS.Signals | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) process.exit(EXIT.failure); // a second Ctrl-C: stop waiting
    signal = s;
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const io: Io = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
  };
  void run(argv, io).then((code) => {
    // Stopped by a signal and clean: 128 + the signal number, like the services.
    process.exitCode = code === EXIT.ok && signal ? 128 + (constants.signals[signal] ?? 0) : code;
    // Open handles (a stuck client socket) must not keep a stopped CLI alive.
    setTimeout(() => process.exit(), 2000).unref();
  });
}
