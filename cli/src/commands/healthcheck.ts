import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { EXIT, type Io, UsageError } from "../io.js";

/** Healthy when the heartbeat is fresh; a missing file counts as `missing`. Pure. */
export function heartbeatHealthy(
  mtimeMs: number | undefined,
  now: number,
  maxAgeMs: number,
  missing: "ok" | "fail",
): boolean {
  if (mtimeMs === undefined) return missing === "ok";
  return now - mtimeMs <= maxAgeMs;
}

/**
 * `flank healthcheck`: a container healthcheck for the workers, which have no HTTP port. The worker
 * touches a heartbeat file while it consumes; a stale file means it is stuck.
 */
export async function healthcheckCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { file: { type: "string" }, "max-age-ms": { type: "string" }, missing: { type: "string" } },
    strict: true,
  });
  if (!values.file) throw new UsageError("--file is required");
  const maxAge = Number(values["max-age-ms"] ?? 30_000);
  if (!Number.isFinite(maxAge) || maxAge <= 0) throw new UsageError("--max-age-ms: a positive number");
  const missing = values.missing ?? "fail";
  if (missing !== "ok" && missing !== "fail") throw new UsageError("--missing: ok or fail");
  const mtime = await stat(values.file).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  const healthy = heartbeatHealthy(mtime, Date.now(), maxAge, missing);
  if (!healthy)
    io.stderr(
      mtime === undefined ? `no heartbeat file ${values.file}\n` : `stale heartbeat ${values.file}\n`,
    );
  return healthy ? EXIT.ok : EXIT.failure;
}
