import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

/**
 * Throwaway redis-server and nats-server processes for integration tests: free ports, temporary
 * directories, never the shared servers on the default ports. With CI=true a missing binary is an
 * error, so a suite cannot pass by skipping.
 */
export interface TestServer {
  url: string;
  port: number;
  dir: string;
  /** The server's process id (the benchmark reads its CPU time). */
  readonly pid: number | undefined;
  /** kill -9, keeping the data directory. */
  kill(): Promise<void>;
  /** kill -9 if running, then start again on the same port and directory (AOF and JetStream data kept). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function hasBinary(name: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
  if (!found && process.env.CI === "true") {
    throw new Error(`${name} is not installed and CI=true: integration suites must not skip (run .ci/run)`);
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

async function launch(
  cmd: string,
  args: (port: number, dir: string) => string[],
  scheme: string,
  at?: number,
): Promise<TestServer> {
  const port = at ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `flank-${cmd}-`));
  let child: ChildProcess;
  let exited = false;

  /** Starts the server on the port and directory, resolving once it accepts connections. */
  const spawnServer = async () => {
    child = spawn(cmd, args(port, dir), { stdio: ["ignore", "ignore", "pipe"] });
    const started = child;
    let stderr = "";
    started.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    exited = false;
    started.once("exit", () => {
      if (child === started) exited = true;
    });
    try {
      await waitFor(async () => exited || (await canConnect(port)), {
        timeoutMs: 10_000,
        what: `${cmd} on ${port}`,
      });
      if (exited) throw new Error(`${cmd} exited at start: ${stderr}`);
    } catch (err) {
      started.kill("SIGKILL");
      throw err;
    }
  };
  const killNow = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  };
  await spawnServer();
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid;
    },
    kill: killNow,
    restart: async () => {
      await killNow();
      await spawnServer();
    },
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (!exited) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `port`: a given one (a restart on the same address, for outage tests); a free one by default. */
export function startRedisServer(opts: { appendonly?: boolean; port?: number } = {}): Promise<TestServer> {
  return launch(
    "redis-server",
    (port, dir) => [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      opts.appendonly ? "yes" : "no",
      "--appendfsync",
      "everysec",
      "--daemonize",
      "no",
    ],
    "redis",
    opts.port,
  );
}

export function startNatsServer(): Promise<TestServer> {
  return launch(
    "nats-server",
    (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
    "nats",
  );
}
