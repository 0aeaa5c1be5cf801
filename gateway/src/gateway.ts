import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FlankError } from "@flank/shared/errors";
import { getRequestListener } from "@hono/node-server";
import { type AppOptions, buildApp, createContext, createWaiters } from "./app.js";
import type { GatewayDeps } from "./deps.js";
import { assertProductionReady } from "./production-check.js";
import { startStatusWriter } from "./status-writer.js";

export interface StartOptions {
  /** Defaults to config.port; 0 picks a free port (tests). */
  port?: number;
  hostname?: string;
  /** Deadline for open connections to finish before they are cut. */
  closeTimeoutMs?: number;
  /** Skip the status-writer consumer (when another process runs it). */
  statusWriter?: boolean;
  stream?: AppOptions["stream"];
  mount?: AppOptions["mount"];
}

export interface RunningGateway {
  port: number;
  /** Stops HTTP, then the status writer; idempotent. The bus and stores belong to the caller. */
  stop(): Promise<void>;
}

/**
 * Refuses a production start without what keeps it safe (docs/security.md): one error naming
 * every missing variable (production-check.ts). Outside production, warns about the same gaps.
 */
export function assertSafeConfig(deps: Pick<GatewayDeps, "config" | "log">): void {
  const { config, log } = deps;
  assertProductionReady(config);
  if (!config.whatsapp.appSecret)
    log.warn("APP_SECRET is not set: webhook signatures are checked only for integrations with their own");
  if (config.security.apiKeys.length === 0 && config.security.adminApiKeys.length === 0)
    log.warn("API_KEYS and ADMIN_API_KEYS are empty: the API refuses every call");
  if (!config.whatsapp.phoneNumberId)
    log.warn("PHONE_NUMBER_ID is not set: only numbers with a stored integration are routed");
}

/** A port taken or not ours to take, said in one line naming PORT; anything else as it is. */
function listenError(err: unknown, port: number, hostname: string | undefined): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `port ${port}${hostname ? ` on ${hostname}` : ""}`;
  if (code === "EADDRINUSE")
    return new FlankError(
      "PortInUse",
      `${where} is already in use: stop what listens there, or set PORT to a free port`,
      {
        cause: err,
      },
    );
  if (code === "EACCES")
    return new FlankError(
      "PortInUse",
      `${where} needs privileges this process lacks: set PORT to 1024 or above`,
      {
        cause: err,
      },
    );
  return err;
}

/** Serves the gateway and starts its status writer: what main.ts and the embedded mode run. */
export async function startGateway(deps: GatewayDeps, opts: StartOptions = {}): Promise<RunningGateway> {
  assertSafeConfig(deps);
  const shutdown = new AbortController();
  const waiters = createWaiters(deps);
  const ctx = createContext({ ...deps, shutdown: shutdown.signal }, waiters);
  const app = buildApp(ctx, { stream: opts.stream, mount: opts.mount });
  const server = createServer(getRequestListener(app.fetch, { hostname: opts.hostname }));

  const writer =
    opts.statusWriter === false
      ? undefined
      : await startStatusWriter(deps, { maxAttempts: deps.config.bus.maxAttempts });

  const wanted = opts.port ?? deps.config.port;
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(wanted, opts.hostname, () => resolve((server.address() as AddressInfo).port));
  }).catch(async (err) => {
    await writer?.stop();
    throw listenError(err, wanted, opts.hostname);
  });
  deps.log.info({ port }, "gateway listening");

  const closeServer = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      // close() drops connections idle right now; responses that end later (event streams ended by
      // the shutdown signal) leave keep-alive sockets behind, so sweep again until the server is closed.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), opts.closeTimeoutMs ?? 5000);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
    });

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop: () => {
      stopping ??= (async () => {
        shutdown.abort();
        await closeServer();
        await writer?.stop();
        await Promise.all([waiters.results.close(), waiters.commands.close()]);
      })();
      return stopping;
    },
  };
}
