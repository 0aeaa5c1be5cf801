import { getHeapStatistics } from "node:v8";

/** Share of the old generation's limit past which a consumer takes no new events. */
export const HEAP_PAUSE_SHARE = 0.85;

/**
 * The young generation's reserve in V8's heap limit: three semi-spaces of `--max-semi-space-size`
 * (MB) when it is given on the command line or in NODE_OPTIONS, the last one winning as in node.
 * Unset, V8 sizes the semi-space from the old generation, a fraction of a megabyte for the small
 * old generations Flank ships: 0 is near enough.
 */
export function youngReserveBytes(execArgv: readonly string[], nodeOptions = ""): number {
  let mb = 0;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+(?:\.\d+)?)$/.exec(arg);
    if (m) mb = Number(m[1]);
  }
  return 3 * mb * 2 ** 20;
}

/**
 * Whether a heap of `usedBytes` is near the old generation's limit. V8's `heap_size_limit` is the
 * old generation plus the young one's reserve, and only the old one running full kills the
 * process: a threshold on the whole limit let a responder with 8 MB semi-spaces and a 64 MB old
 * generation die out of memory at 1,000 msg/s before it ever paused (its young reserve, 24 MB, is
 * more than the limit's 15 %). So the share is of the old generation, counting every used byte.
 */
export function nearLimit(usedBytes: number, limitBytes: number, youngBytes: number, share: number): boolean {
  return usedBytes > (limitBytes - youngBytes) * share;
}

const youngReserve = youngReserveBytes(process.execArgv, process.env.NODE_OPTIONS);

/**
 * Whether this process's heap is near its limit (`--max-old-space-size`). Under overload a worker
 * otherwise keeps taking events up to BUS_MAX_IN_FLIGHT, and with a tight heap V8 spends its time
 * collecting near the limit or the process dies out of memory (the bench's responder did, at
 * 1,000 msg/s with an 80 MB old generation); paused, the events in hand finish and free the heap.
 */
export function heapNearLimit(share = HEAP_PAUSE_SHARE): boolean {
  const { used_heap_size, heap_size_limit } = getHeapStatistics();
  return nearLimit(used_heap_size, heap_size_limit, youngReserve, share);
}
