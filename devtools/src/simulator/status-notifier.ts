import { graphErrorBody } from "./graph-errors.js";
import { type BusinessNumber, type SimStatus, statusWebhook } from "./meta-payloads.js";
import { postWebhook, type WebhookTarget } from "./webhook-post.js";

/** When each status follows the accepted send; `read: undefined` means the user never reads it. */
export interface StatusTiming {
  deliveredMs: number;
  readMs?: number;
  /** Meta retries a webhook the receiver did not answer 200 (docs/whatsapp-contract.md "Delivery from Meta"); we retry this often. */
  retries: number;
  retryDelayMs: number;
}

export const DEFAULT_STATUS_TIMING: StatusTiming = {
  deliveredMs: 300,
  readMs: 1200,
  retries: 3,
  retryDelayMs: 250,
};

export interface AcceptedSend extends BusinessNumber {
  wamid: string;
  recipientId?: string;
  recipientUserId?: string;
  bizOpaqueCallbackData?: string;
  /** Accepted with 200, then failed later (an asynchronous error, docs/whatsapp-contract.md "Sending"). */
  failCode?: number;
}

/** One status webhook the simulator sent, and how the receiver answered. */
export interface StatusDelivery {
  wamid: string;
  status: SimStatus;
  /** The receiver's last HTTP status; 0 when it could not be reached. */
  httpStatus: number;
  attempts: number;
  payload: unknown;
}

export interface StatusNotifier {
  notify(send: AcceptedSend): void;
  deliveries: StatusDelivery[];
  /** Resolves when every scheduled status has been sent (or given up). */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * Plays Meta's part after a send is accepted: `sent`, then `delivered`, then `read` webhooks to
 * the receiver, signed, in that order, each retried on a non-200. Timers stop with `stop()`.
 */
export function createStatusNotifier(
  target: () => WebhookTarget | undefined,
  timing: () => StatusTiming,
  opts: { fetch?: typeof fetch } = {},
): StatusNotifier {
  const deliveries: StatusDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || stopped) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const deliver = async (send: AcceptedSend, status: SimStatus) => {
    const to = target();
    if (!to || stopped) return;
    const error = send.failCode === undefined ? undefined : errorOf(send.failCode);
    const payload = statusWebhook({ ...send, status, error });
    const record: StatusDelivery = { wamid: send.wamid, status, httpStatus: 0, attempts: 0, payload };
    deliveries.push(record);
    const { retries, retryDelayMs } = timing();
    for (let attempt = 1; attempt <= retries + 1 && !stopped; attempt++) {
      record.attempts = attempt;
      try {
        record.httpStatus = (await postWebhook(to, payload, opts)).status;
      } catch {
        record.httpStatus = 0;
      }
      if (record.httpStatus === 200) return;
      await sleep(retryDelayMs * 2 ** (attempt - 1));
    }
  };

  const play = async (send: AcceptedSend) => {
    if (send.failCode !== undefined) return deliver(send, "failed");
    const t = timing();
    await deliver(send, "sent");
    await sleep(t.deliveredMs);
    await deliver(send, "delivered");
    if (t.readMs === undefined) return;
    await sleep(Math.max(0, t.readMs - t.deliveredMs));
    await deliver(send, "read");
  };

  return {
    deliveries,
    notify(send) {
      if (stopped || !target()) return;
      const p = play(send).finally(() => running.delete(p));
      running.add(p);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

function errorOf(code: number) {
  const { message, error_data } = graphErrorBody(code).error;
  return { code, title: message.replace(/^\(#\d+\)\s*/, ""), details: error_data.details };
}
