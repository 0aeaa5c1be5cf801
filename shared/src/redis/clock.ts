import type { RedisClient } from "./client.js";

/** How long one TIME reading is trusted before the next call re-syncs. */
export const CLOCK_SYNC_MS = 30_000;

/** The one command RedisClock sends; any RedisClient has it (tests pass a fake). */
export type TimeClient = Pick<RedisClient, "sendCommand">;

/**
 * Redis's clock, estimated in the process: Date.now() plus the offset measured by one TIME, so the
 * scripts that pace sends and lease the send ledger (shared/src/rate-limit/token-bucket-redis.ts,
 * responder/src/send-ledger-redis.ts) get `now` as an argument instead of calling TIME each run
 * (one Redis command less per take and per claim), while every instance still reads one clock.
 *
 * The offset is Redis's TIME minus the local time at the midpoint of the TIME round trip, so an
 * estimate is off by at most half that round trip plus the local clock's drift since the sync
 * (about a millisecond over CLOCK_SYNC_MS). A call re-syncs when the last sync is older than
 * CLOCK_SYNC_MS, or when the local clock stepped back since it; concurrent callers share one sync
 * in flight. No timers: an idle clock costs nothing and keeps no process alive. A failed sync
 * rejects its callers (as the command it stands in for would have) and the next call tries again.
 */
export class RedisClock {
  private offset = 0;
  /** Local time of the last sync; -Infinity until the first. */
  private syncedAt = Number.NEGATIVE_INFINITY;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly client: TimeClient,
    private readonly local: () => number = Date.now,
  ) {}

  /** Redis's time in whole ms, as TIME would answer it now. */
  async now(): Promise<number> {
    const age = this.local() - this.syncedAt;
    if (!(age >= 0 && age < CLOCK_SYNC_MS)) await this.sync();
    return Math.round(this.local() + this.offset);
  }

  private sync(): Promise<void> {
    this.syncing ??= this.measure().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async measure(): Promise<void> {
    const sent = this.local();
    const [seconds, micros] = await this.client.sendCommand<[string, string]>(["TIME"]);
    const received = this.local();
    this.offset = Number(seconds) * 1000 + Number(micros) / 1000 - (sent + received) / 2;
    this.syncedAt = received;
  }
}
