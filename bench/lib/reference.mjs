import { freePort } from "../../testing/dist/servers.js";
import { startProcess } from "./procs.mjs";
import { readyPipeline, startStubs } from "./stack.mjs";

/**
 * The minimal reference pipeline (bench/reference-pipeline.mjs), gateway and worker as separate
 * processes on Redis with their own stand-ins, in the shape of startStack's answer, so the e2e
 * phases drive and measure it the same way.
 */
export async function startReference({ redisUrl }) {
  const { stubs, graph, openai, control, replies } = await startStubs();
  const port = await freePort();
  const script = "bench/reference-pipeline.mjs";
  const procs = new Map([
    [
      "gateway",
      startProcess(
        "reference gateway",
        [script, "gateway", String(port), redisUrl],
        {},
        {
          ready: (o) => o.includes("listening"),
        },
      ),
    ],
    [
      "worker",
      startProcess(
        "reference worker",
        [script, "worker", redisUrl, openai, `${graph}/v25.0`],
        {},
        {
          ready: (o) => o.includes("worker started"),
        },
      ),
    ],
  ]);
  return readyPipeline({ port, procs, stubs: { stubs, replies, control } });
}
