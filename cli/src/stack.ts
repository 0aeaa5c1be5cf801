import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type GraphTestServer, type StatusTiming, startGraphServer } from "@flank/devtools";
import { type Env, parseConfig } from "@flank/shared/config";
import { FlankError } from "@flank/shared/errors";
import { StartInterrupted } from "@flank/shared/lifecycle";
import { type Generated, withLocalDefaults } from "./local-config.js";

/** The repository root, the same from `src/` and from `dist/`. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const SERVICES = ["gateway", "router", "responder"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const serviceEntry = (root: string, name: ServiceName) => join(root, name, "dist", "main.js");

export interface StackOptions {
  /** Merged environment (.env files and the process's): what every service is given. */
  env: Env;
  redisUrl: string;
  gatewayPort: number;
  /** Each line the services print, prefixed with their name. */
  out(line: string): void;
  root?: string;
  statusTiming?: Partial<StatusTiming>;
  readyTimeoutMs?: number;
  /** Ctrl-C while waiting for the services: stops them and rejects with StartInterrupted. */
  signal?: AbortSignal;
}

export interface RunningStack {
  gatewayUrl: string;
  generated: Generated;
  /** The Cloud API simulator (in this process) when WHATSAPP_TOKEN is unset. */
  simulator?: GraphTestServer;
  /** Resolves when a service exits by itself (a crash, or a bad configuration). */
  exited: Promise<{ name: ServiceName; code: number | null }>;
  /** Stops the gateway first, then the workers, then the simulator; true when all exited cleanly. */
  stop(): Promise<boolean>;
}

interface Child {
  name: ServiceName;
  proc: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
}

/**
 * `flank stack`: the three services as separate processes (`node <service>/dist/main.js`) on one
 * Redis bus, with the same generated local secrets and, without WHATSAPP_TOKEN, the Cloud API
 * simulator running here. Resolves once the gateway answers /readyz and the workers have started.
 */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  const root = opts.root ?? REPO_ROOT;
  const missing = SERVICES.filter((s) => !existsSync(serviceEntry(root, s)));
  if (missing.length > 0) {
    throw new FlankError(
      "StackError",
      `not built: ${missing.join(", ")} (run npm run build, or npm run stack)`,
    );
  }
  const base = parseConfig({ ...opts.env, BUS: "redis", REDIS_URL: opts.redisUrl });
  const local = withLocalDefaults(base);
  const simulator = local.simulateWhatsApp
    ? await startGraphServer({ token: local.config.whatsapp.token, statusTiming: opts.statusTiming })
    : undefined;
  const env: Env = {
    ...opts.env,
    BUS: "redis",
    REDIS_URL: opts.redisUrl,
    PORT: String(opts.gatewayPort),
    APP_SECRET: local.config.whatsapp.appSecret,
    VERIFY_TOKEN: local.config.whatsapp.verifyToken,
    API_KEYS: local.config.security.apiKeys.join(","),
    ADMIN_API_KEYS: local.config.security.adminApiKeys.join(","),
    PHONE_NUMBER_ID: local.config.whatsapp.phoneNumberId,
    ...(simulator
      ? {
          WHATSAPP_TOKEN: local.config.whatsapp.token,
          GRAPH_API_BASE: simulator.base,
          FB_API_VERSION: undefined,
        }
      : {}),
  };
  const gatewayUrl = `http://127.0.0.1:${opts.gatewayPort}`;
  simulator?.setWebhook({
    url: `${gatewayUrl}/webhook/whatsapp`,
    appSecret: local.config.whatsapp.appSecret,
  });

  const children = SERVICES.map((name) => launch(root, name, env, opts.out));
  const exited = Promise.race(children.map((c) => c.exit.then((code) => ({ name: c.name, code }))));
  let stopping: Promise<boolean> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      let clean = true;
      for (const c of children) clean = (await terminate(c)) && clean;
      await simulator?.stop();
      return clean;
    })();
    return stopping;
  };

  try {
    await waitReady(children, gatewayUrl, base.logLevel, opts.readyTimeoutMs ?? 30_000, opts.signal);
  } catch (err) {
    await stop();
    throw err;
  }
  return { gatewayUrl, generated: local.generated, ...(simulator ? { simulator } : {}), exited, stop };
}

function launch(root: string, name: ServiceName, env: Env, out: (line: string) => void): Child {
  const proc = spawn(process.execPath, [serviceEntry(root, name)], {
    cwd: root,
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      if (lines.length < 200) lines.push(line);
      out(`[${name}] ${line}`);
    });
  }
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { name, proc, lines, exit };
}

/** SIGTERM, then SIGKILL after the services' own 10 s shutdown deadline. True on a clean exit. */
async function terminate(c: Child): Promise<boolean> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.proc.exitCode === 0;
  c.proc.kill("SIGTERM");
  const timer = setTimeout(() => c.proc.kill("SIGKILL"), 12_000);
  const code = await c.exit;
  clearTimeout(timer);
  // runService exits 128 + SIGTERM (143) after a clean stop, 1 when a step failed.
  return code === 143 || code === 0;
}

async function waitReady(
  children: Child[],
  gatewayUrl: string,
  level: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  // The "<name> started" line is logged at info; with a quieter level, a live process will do.
  const verbose = ["trace", "debug", "info"].includes(level);
  const started = (c: Child) =>
    c.name === "gateway" || !verbose || c.lines.some((l) => l.includes(`${c.name} started`));
  for (;;) {
    if (signal?.aborted) throw new StartInterrupted("the services");
    const dead = children.find((c) => c.proc.exitCode !== null);
    if (dead) {
      throw new FlankError(
        "StackError",
        `${dead.name} exited with ${dead.proc.exitCode}:\n${dead.lines.slice(-10).join("\n")}`,
      );
    }
    const ready = await fetch(`${gatewayUrl}/readyz`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready && children.every(started)) return;
    if (Date.now() > deadline)
      throw new FlankError("StackError", `services not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
