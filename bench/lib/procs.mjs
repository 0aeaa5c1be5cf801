import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url).pathname;

/** CPU time a process has used so far, in ms (user + system, from /proc; Linux clock ticks are 10 ms). */
export function cpuMs(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return Number.NaN; // the process is gone (its death was reported when it happened)
  }
  const fields = stat.split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * A service started as its own process. Peak RSS is read from /proc (VmHWM, the kernel's
 * high-water mark), so nothing is sampled and no peak is missed.
 */
export function startProcess(name, args, env, { ready } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let partial = "";
  // Warnings and errors by message, so a run's report says what went wrong inside the services.
  const problems = {};
  const keep = (d) => {
    output = (output + String(d)).slice(-20_000);
    const lines = (partial + String(d)).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const m = /"level":(\d+).*?"msg":"([^"]*)"/.exec(line);
      if (m && Number(m[1]) >= 40) problems[m[2]] = (problems[m[2]] ?? 0) + 1;
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  // A process that dies on its own (not by stop or kill) is said at once, with its last output:
  // otherwise a run waits for replies that will never come.
  let expected = false;
  void exited.then(({ code, signal }) => {
    if (!expected) process.stderr.write(`\n${name} exited (${code ?? signal}):\n${output.slice(-4000)}\n`);
  });
  return {
    name,
    pid: child.pid,
    output: () => output,
    problems: () => ({ ...problems }),
    ready: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => {
        done = true;
      });
      while (Date.now() < deadline) {
        if (done) throw new Error(`${name} exited during start:\n${output}`);
        if (await ready?.(output)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`);
    },
    peakRssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        return Math.round(kb / 1024);
      } catch {
        return undefined;
      }
    },
    /** Sends a signal (SIGKILL: the chaos suite's kill -9). */
    kill: (signal) => {
      expected = true;
      return child.kill(signal);
    },
    stop: async () => {
      expected = true;
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export const httpReady = (url) => async () => {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
};

/** Runs a node script to completion and parses the last JSON line it prints. */
export function runJson(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("exit", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line));
      } catch (e) {
        reject(new Error(`${args.join(" ")} failed (${e.message}):\n${out}\n${err}`));
      }
    });
  });
}
