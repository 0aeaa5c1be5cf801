// Helpers for this package's tests only.
import { type Config, type Env, parseConfig } from "@flank/shared/config";
import { pino } from "pino";
import type { Io } from "./io.js";

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

/** Headless Debian Chromium for the browser tests (playwright-core drives it; no browser download). */
export async function launchChromium(profile: string, viewport = { width: 1100, height: 720 }) {
  const { chromium } = await import("playwright-core");
  return chromium.launchPersistentContext(profile, {
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
  });
}
