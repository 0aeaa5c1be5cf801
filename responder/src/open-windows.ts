import { BoundedMap } from "@flank/shared/util";
import { windowClosesAt } from "@flank/shared/whatsapp";

/**
 * Which conversations' 24-hour windows this process already knows to be open, and until when.
 * A window only ever grows (the router never moves `lastInboundAt` backwards, and a user message
 * that was seen stays sent), so "open until T" stays true until T whatever happened since: a known
 * open window needs no read of the session cache. Unknown or lapsed means read it as before.
 * Bounded: past `max` conversations the oldest noted is forgotten (a forgotten one is read again).
 */
export class OpenWindows {
  private readonly until: BoundedMap<string, number>;

  constructor(max = 10_000) {
    this.until = new BoundedMap(max);
  }

  isOpen(conversationId: string, now: number): boolean {
    const until = this.until.get(conversationId);
    if (until === undefined) return false;
    if (now < until) return true;
    this.until.delete(conversationId);
    return false;
  }

  /** Remembers the window a read returned; a closed or unparsable one is not kept. */
  note(conversationId: string, lastInboundAt: string | undefined, now: number): void {
    const until = windowClosesAt(lastInboundAt);
    if (until === undefined || now >= until || (this.until.get(conversationId) ?? 0) >= until) return;
    this.until.set(conversationId, until);
  }

  get size(): number {
    return this.until.size;
  }
}
