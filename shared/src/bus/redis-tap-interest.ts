import type { Logger } from "pino";
import { REDIS_TAPS_KEY } from "../events/names.js";
import type { RedisClient, RedisClock } from "../redis/client.js";

/** How long a registration lives without renewal, and how often an open tap renews it. */
export const TAP_INTEREST_TTL_MS = 30_000;
export const TAP_INTEREST_RENEW_MS = 10_000;

/**
 * The taps this process has open, registered in Redis (REDIS_TAPS_KEY) so publishers publish only
 * events somebody taps. A registration lapses unless renewed: a process that dies stops costing
 * publishes within TAP_INTEREST_TTL_MS, and a Redis restart that lost the registry is repaired as
 * soon as the client is connected again. A closed tap is not removed (another process may hold the
 * same pattern); it lapses. Scores are on Redis's clock as each process estimates it (RedisClock),
 * as publishers read them, so hosts whose clocks differ still agree on what has lapsed.
 */
export class RedisTapInterest {
  private readonly open = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly renewFailed = (err: unknown) => this.log.warn({ err }, "taps registry not renewed");

  constructor(
    private readonly client: RedisClient,
    private readonly log: Logger,
    private readonly clock: Pick<RedisClock, "now">,
  ) {
    client.on("ready", () => void this.renew().catch(this.renewFailed));
  }

  /** Registers the pattern; resolves once appends that follow will publish for it. */
  async add(pattern: string): Promise<void> {
    this.open.set(pattern, (this.open.get(pattern) ?? 0) + 1);
    this.timer ??= setInterval(
      () => void this.renew().catch(this.renewFailed),
      TAP_INTEREST_RENEW_MS,
    ).unref();
    await this.renew([pattern]);
  }

  remove(pattern: string): void {
    const left = (this.open.get(pattern) ?? 1) - 1;
    if (left > 0) this.open.set(pattern, left);
    else this.open.delete(pattern);
    if (this.open.size === 0) this.close();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** ZADD GT: a renewal never shortens another process's registration of the same pattern. */
  private async renew(patterns: readonly string[] = [...this.open.keys()]): Promise<void> {
    if (patterns.length === 0) return;
    const now = await this.clock.now();
    const until = String(now + TAP_INTEREST_TTL_MS);
    await this.client.sendCommand(["ZADD", REDIS_TAPS_KEY, "GT", ...patterns.flatMap((p) => [until, p])]);
    // Lapsed a TTL ago: well past, so a registration never goes while its renewal is on the way.
    await this.client.sendCommand([
      "ZREMRANGEBYSCORE",
      REDIS_TAPS_KEY,
      "-inf",
      String(now - TAP_INTEREST_TTL_MS),
    ]);
  }
}
