import { createInbox, JSONCodec, type Msg, type NatsConnection, nanos } from "nats";
import { FlankError } from "../errors.js";

/** What one pull request brought back, and the status that ended it (0: batch filled). */
export interface PullResult {
  msgs: Msg[];
  status: number;
  description: string;
}

const jc = JSONCodec();
/** Idle heartbeats (only sent when asked for): never the end of a request. */
const HEARTBEAT = 100;
/** How long past its server-side end a request may stay silent before the client gives up on it. */
const GRACE_MS = 5000;

/**
 * One JetStream pull request (`$JS.API.CONSUMER.MSG.NEXT`), sent by hand rather than through the
 * client's fetch iterators: those stop on their own conditions and drop what still arrives, and a
 * message delivered to nobody stays invisible until its ack wait ends, behind newer ones.
 * This resolves only when the server itself ends the request: the batch is full, or a status
 * arrives (404 nothing with no_wait, 408 expired or no_wait exhausted, 409 limits or consumer
 * deleted, 503 no responders), or with status -1 when nothing answers (a deleted consumer's
 * requests go unanswered) or the connection closes.
 * `waitMs` 0 sends no_wait: the server answers at once with what it has.
 */
export function pull(
  nc: NatsConnection,
  nextSubject: string,
  batch: number,
  waitMs: number,
): Promise<PullResult> {
  return new Promise<PullResult>((resolve, reject) => {
    const inbox = createInbox();
    const msgs: Msg[] = [];
    let settled = false;
    const end = (status: number, description: string, err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!sub.isClosed()) sub.unsubscribe();
      if (err === undefined) resolve({ msgs, status, description });
      else if (msgs.length > 0) resolve({ msgs, status: -1, description: String(err) });
      else reject(err);
    };
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return end(-1, err.message, err);
        // Data messages keep their stream subject; statuses come on the inbox itself.
        if (msg.subject !== inbox) {
          msgs.push(msg);
          if (msgs.length >= batch) end(0, "");
          return;
        }
        const code = msg.headers?.code ?? 0;
        const description = msg.headers?.description ?? "";
        if (code === HEARTBEAT) return;
        if (code === 400) return end(code, description, pullError(nextSubject, code, description));
        end(code, description);
      },
    });
    // The connection closed or drained under us: the server has forgotten the request too.
    void sub.closed.then(() => end(-1, "subscription closed"));
    const timer = setTimeout(() => end(-1, "no answer from the server"), waitMs + GRACE_MS);
    const request = waitMs > 0 ? { batch, expires: nanos(waitMs) } : { batch, no_wait: true };
    try {
      nc.publish(nextSubject, jc.encode(request), { reply: inbox });
    } catch (err) {
      end(-1, String(err), err);
    }
  });
}

function pullError(subject: string, code: number, description: string): FlankError {
  return new FlankError("NatsPullError", `pull on ${subject} failed: ${code} ${description}`, {
    context: { subject, code },
    retryable: true,
  });
}

/**
 * Times delivered, including this one, from a JetStream ack subject:
 * `$JS.ACK.<stream>.<consumer>.<count>.<sseq>.<dseq>.<ts>.<pending>`, or the newer form with
 * `<domain>.<account hash>` after `ACK` and an optional trailing token.
 */
export function deliveryCount(ackSubject: string): number | undefined {
  const tokens = ackSubject.split(".");
  if (tokens[0] !== "$JS" || tokens[1] !== "ACK") return undefined;
  const index = tokens.length === 9 ? 4 : tokens.length >= 11 ? 6 : -1;
  const count = Number(tokens[index]);
  return Number.isInteger(count) && count > 0 ? count : undefined;
}
