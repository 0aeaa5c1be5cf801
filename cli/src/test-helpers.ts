// Helpers for this package's tests only.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, type Env, parseConfig } from "@flank/shared/config";
import { pino } from "pino";
import type { Io } from "./io.js";
import { REPO_ROOT } from "./stack.js";

export const silentLog = () => pino({ level: process.env.LOG_LEVEL ?? "silent" });

/** A config as a fresh clone sees it: nothing set but quiet logs. */
export const bareConfig = (env: Env = {}): Config =>
  parseConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", ...env });

/** Fast status webhooks, so tests see read ticks quickly. */
export const FAST_STATUSES = { deliveredMs: 20, readMs: 60, retryDelayMs: 20 };

export interface TestIo extends Io {
  out: string[];
  err: string[];
  stop(): void;
}

export function testIo(env: Env = {}, cwd = process.cwd()): TestIo {
  const stop = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { LOG_LEVEL: "silent", ...env },
    cwd,
    signal: stop.signal,
    stop: () => stop.abort(),
  };
}

/**
 * Headless Debian Chromium for the browser tests (playwright-core drives it; no browser download),
 * on a fresh profile directory that is removed when the context closes.
 */
export async function launchChromium(viewport = { width: 1100, height: 720 }) {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "flank-chromium-"));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      viewport,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    })
    .catch((err: unknown) => {
      removeProfile();
      throw err;
    });
  // Removed once the browser has exited: on its "close" event it may still be writing there.
  const close = context.close.bind(context);
  context.close = async (options) => {
    await close(options);
    removeProfile();
  };
  return context;
}

/** Builds these packages (and what they use), for tests that run their dist as processes. */
export function buildPackages(names: readonly string[]): void {
  execFileSync(
    "npx",
    ["turbo", "run", "build", "--output-logs=errors-only", ...names.map((n) => `--filter=@flank/${n}`)],
    { cwd: REPO_ROOT, stdio: "pipe", timeout: 240_000 },
  );
}
