import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A service started as its own process, its output kept, for tests of how it starts and stops. */
export interface SpawnedProcess {
  child: ChildProcess;
  /** stdout and stderr as received so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | NodeJS.Signals>;
  /** The process's peak resident memory (VmHWM) in MB, while it runs. */
  peakRssMb(): number;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

/** Runs `node [nodeArgs] entry` with exactly `env` (plus PATH), collecting its output. */
export function spawnNode(
  entry: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): SpawnedProcess {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    output: () => out,
    exited,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
