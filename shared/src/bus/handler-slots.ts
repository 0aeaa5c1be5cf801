import { performance } from "node:perf_hooks";

/** The event loop's busy share (0–1) since the previous call. */
export type LoadSampler = () => number;

/** A sampler of this process's event loop utilization (`performance.eventLoopUtilization`). */
export function loopLoad(): LoadSampler {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

/** How often the limit is adjusted. */
export const SLOT_TICK_MS = 100;
/** A loop busier than this is saturated: more handlers at once only hold more memory. */
export const LOAD_HIGH = 0.9;
/** A loop idler than this has room: handlers waiting for a slot get more. */
export const LOAD_LOW = 0.7;
/** The fewest handlers a consumer runs at once, however busy the loop. */
export const MIN_SLOTS = 8;

export interface SlotState {
  limit: number;
  running: number;
  /** Handlers waiting for a slot. */
  waiting: number;
  /** The loop's utilization over the last tick. */
  load: number;
  /** The last cut has had time to show: a handler's usual time in a slot has passed since. */
  settled: boolean;
}

/**
 * The next limit on handlers running at once: a saturated loop gets a fifth fewer than are running
 * (once the previous cut has shown in the load), an idle one with handlers waiting half as many
 * more; in between it holds.
 */
export function nextLimit(s: SlotState, min: number, max: number): number {
  if (s.load >= LOAD_HIGH && s.settled) return Math.max(min, Math.floor(Math.min(s.limit, s.running) * 0.8));
  if (s.load < LOAD_LOW && s.waiting > 0) return Math.min(max, Math.ceil(s.limit * 1.5));
  return s.limit;
}

/** Lends the caller's slot to other handlers while `work` runs (a model call, a pacing delay). */
export type Wait = <T>(work: Promise<T>) => Promise<T>;

/** A Wait outside any slot (a handler called directly, as tests do): it only awaits. */
export const waitInPlace: Wait = (work) => work;

/**
 * How many of a consumer's handlers run at once (docs/architecture.md "Guarantees"). The
 * in-flight bound is sized for a slow model (peak rate × model time), and when the process is short
 * of CPU rather than waiting, all those handlers running at once only interleave: each holds its
 * prompt, requests and promises for longer, and the young generation copies them again at every
 * collection. So the limit follows the event loop's load: cut while it is saturated, raised while
 * it has room and handlers wait. A handler lends its slot while it waits on something outside the
 * process (`wait`), so slots bound work on the CPU, not the model calls in flight; handlers back
 * from a wait get a slot before new ones start, to finish what is begun first.
 */
export class HandlerSlots {
  private limit: number;
  private readonly min: number;
  private running = 0;
  /** Handlers started and not finished, waiting outside included. */
  private active = 0;
  private readonly fresh: (() => void)[] = [];
  private readonly resuming: (() => void)[] = [];
  /** Moving average of a handler's time in a slot, ms: how long a cut takes to show. */
  private heldMs = 0;
  private lastCut = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly max: number,
    private readonly sample: LoadSampler,
    /** While memory is short, no new handler starts until one in progress finishes (heap-pressure.ts). */
    private readonly memoryShort: () => boolean = () => false,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.min = Math.min(max, MIN_SLOTS);
    this.limit = max;
  }

  get current(): number {
    return this.limit;
  }

  start(): void {
    this.timer ??= setInterval(() => this.adjust(), SLOT_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  adjust(): void {
    const at = this.now();
    const next = nextLimit(
      {
        limit: this.limit,
        running: this.running,
        waiting: this.fresh.length + this.resuming.length,
        load: this.sample(),
        settled: at - this.lastCut >= this.heldMs,
      },
      this.min,
      this.max,
    );
    if (next < this.limit) this.lastCut = at;
    this.limit = next;
    this.admit();
  }

  /** Runs `task` in a slot; it may lend the slot while it waits (`wait`, one wait at a time or nested). */
  async run<T>(task: (wait: Wait) => Promise<T>): Promise<T> {
    await this.take(this.fresh);
    let since = this.now();
    let lent = 0;
    let done = false;
    const wait: Wait = async (work) => {
      if (done) return work; // after its task: no slot to lend
      if (lent++ === 0) this.give(since);
      try {
        return await work;
      } finally {
        // A wait that outlives its task (a rejected Promise.all) takes no slot back.
        if (--lent === 0 && !done) {
          await this.take(this.resuming);
          since = this.now();
        }
      }
    };
    try {
      return await task(wait);
    } finally {
      done = true;
      this.active--;
      if (lent === 0) this.give(since);
      else this.admit();
    }
  }

  private take(queue: (() => void)[]): Promise<void> | undefined {
    // A handler back from a wait goes before every new one; a new one waits while memory is short.
    const resuming = queue === this.resuming;
    const ahead = resuming ? this.resuming.length : this.fresh.length + this.resuming.length;
    if (ahead === 0 && this.running < this.limit && (resuming || !this.starved())) {
      this.running++;
      if (!resuming) this.active++;
      return undefined;
    }
    return new Promise<void>((resolve) => queue.push(resolve));
  }

  private give(since: number): void {
    this.heldMs += (this.now() - since - this.heldMs) * 0.1;
    this.running--;
    this.admit();
  }

  private admit(): void {
    while (this.running < this.limit) {
      let next = this.resuming.shift();
      if (!next && !this.starved()) {
        next = this.fresh.shift();
        if (next) this.active++;
      }
      if (!next) return;
      this.running++;
      next();
    }
  }

  /** Memory is short and handlers in progress will free some: start no new one. */
  private starved(): boolean {
    return this.active > 0 && this.memoryShort();
  }
}
