import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** True when a Redis server answers PING at host:port (a NOAUTH answer is a Redis too). */
export function probeRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => done(/^(\+PONG|-NOAUTH)/.test(String(d))));
  });
}

export type RedisPlan =
  | { kind: "use"; url: string }
  /** REDIS_URL names a server that does not answer: never start a different one in its place. */
  | { kind: "unreachable"; url: string }
  | { kind: "start"; port: number };

/**
 * Which Redis `flank stack` runs on: REDIS_URL when set, else one already answering on
 * 127.0.0.1:<port> (6379), else a new local redis-server on that port.
 */
export async function planRedis(opts: {
  url?: string;
  port?: number;
  probe?: (host: string, port: number) => Promise<boolean>;
}): Promise<RedisPlan> {
  const probe = opts.probe ?? probeRedis;
  const port = opts.port ?? 6379;
  if (opts.url) {
    const u = new URL(opts.url);
    const reachable = await probe(u.hostname || "127.0.0.1", Number(u.port || 6379));
    return reachable ? { kind: "use", url: opts.url } : { kind: "unreachable", url: opts.url };
  }
  if (await probe("127.0.0.1", port)) return { kind: "use", url: `redis://127.0.0.1:${port}` };
  return { kind: "start", port };
}

export interface LocalRedis {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export const hasRedisServer = (): boolean => spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;

/** A redis-server for this run: loopback only, data in a temp dir removed on stop, no snapshots. */
export async function startLocalRedis(port: number, timeoutMs = 10_000): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), "flank-stack-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async () => {
    if (!gone) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000).unref())]);
      if (!gone) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await probeRedis("127.0.0.1", port, 200))) {
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || "no answer"}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, dir, stop };
}
