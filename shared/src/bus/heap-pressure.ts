import { getHeapStatistics } from "node:v8";

/** Share of the heap limit past which a consumer takes no new events. */
export const HEAP_PAUSE_SHARE = 0.85;

/**
 * Whether this process's heap is near its limit (`--max-old-space-size`). Under overload a worker
 * otherwise keeps taking events up to BUS_MAX_IN_FLIGHT, and with a tight heap V8 spends its time
 * collecting near the limit or the process dies out of memory (the bench's responder did, at
 * 1,000 msg/s with an 80 MB old generation); paused, the events in hand finish and free the heap.
 */
export function heapNearLimit(share = HEAP_PAUSE_SHARE): boolean {
  const { used_heap_size, heap_size_limit } = getHeapStatistics();
  return used_heap_size > heap_size_limit * share;
}
