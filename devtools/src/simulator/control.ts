import { FaultRequest } from "./faults.js";
import type { GraphTestServer } from "./graph-server.js";

/** Prefix of the simulator's own endpoints; never a Graph API path, never recorded as a request. */
export const CONTROL_PREFIX = "/__sim/";

type Control = Pick<
  GraphTestServer,
  "script" | "scriptFor" | "setFaults" | "clearFaults" | "reset" | "accepted" | "statuses"
>;

/**
 * The small JSON control API, for benchmarks and other processes that cannot call the methods:
 * - `POST /__sim/faults` `{replies?, to?, times?, latencyMs?, failRate?, failCode?}` (see FaultRequest)
 * - `DELETE /__sim/faults`: clears queued replies and standing faults
 * - `GET /__sim/sent`: the accepted messages; `GET /__sim/statuses`: the status webhooks sent
 * - `POST /__sim/reset`: clears everything recorded and scripted
 */
export function handleControl(
  method: string,
  path: string,
  body: unknown,
  sim: Control,
): { status: number; body: unknown } | undefined {
  if (!path.startsWith(CONTROL_PREFIX)) return undefined;
  const route = `${method} ${path.slice(CONTROL_PREFIX.length - 1)}`;
  switch (route) {
    case "POST /faults": {
      const parsed = FaultRequest.safeParse(body ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
        return { status: 400, body: { error: "invalid fault request", issues } };
      }
      const { replies = [], to, times, ...standing } = parsed.data;
      const queued = Array.from({ length: times }, () => replies).flat();
      if (queued.length > 0) {
        if (to) sim.scriptFor(to, ...queued);
        else sim.script(...queued);
      }
      return { status: 200, body: { queued: queued.length, faults: sim.setFaults(standing) } };
    }
    case "DELETE /faults":
      return { status: 200, body: { faults: sim.clearFaults() } };
    case "GET /sent":
      return { status: 200, body: sim.accepted };
    case "GET /statuses":
      return { status: 200, body: sim.statuses };
    case "POST /reset":
      sim.reset();
      return { status: 200, body: { reset: true } };
    default:
      return { status: 404, body: { error: `unknown simulator endpoint ${method} ${path}` } };
  }
}
