import type { FlankEvent } from "@flank/shared/contract";
import { UNATTRIBUTED_TENANT } from "@flank/shared/whatsapp";

/**
 * Finding a webhook's business numbers before its signature can be checked (pure, no I/O).
 *
 * Each integration may have its own app secret, so the secret depends on the tenant, which is
 * inside the body that must not be parsed before it is verified. Of the two ways out (try every
 * configured secret, or peek at the numbers), we peek: a bounded scan of the raw bytes for
 * `"phone_number_id":"<digits>"`. Trying every secret costs one HMAC per integration per POST and
 * needs every secret decrypted in memory; the scan costs one native `indexOf` pass and resolves
 * only the numbers named. The scan is a hint, not a parse, so the webhook route checks after
 * parsing that every event's number was among those scanned (`unscannedNumbers`): a body that
 * hides a number from the scan (a `\u`-escaped key, a duplicate key) cannot borrow another
 * tenant's secret.
 */
const KEY = Buffer.from('"phone_number_id"');
/** Meta sends one number per change and a handful of changes per POST; more is not Meta. */
export const MAX_NUMBERS_PER_WEBHOOK = 32;
const MAX_ID_LENGTH = 32;

export type NumberScan = { ok: true; ids: string[] } | { ok: false; reason: "too_many_numbers" };

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;

/** The distinct phone_number_ids written plainly in the body, in order of first appearance. */
export function scanPhoneNumberIds(body: Buffer, max = MAX_NUMBERS_PER_WEBHOOK): NumberScan {
  const ids = new Set<string>();
  for (let at = body.indexOf(KEY); at !== -1; at = body.indexOf(KEY, at + KEY.length)) {
    let i = at + KEY.length;
    while (isSpace(body[i])) i++;
    if (body[i] !== 0x3a) continue; // ':'
    i++;
    while (isSpace(body[i])) i++;
    const quoted = body[i] === 0x22;
    if (quoted) i++;
    const start = i;
    while (isDigit(body[i]) && i - start <= MAX_ID_LENGTH) i++;
    // An empty, over-long or escaped value is not a plain id: left to the post-parse check.
    if (i === start || i - start > MAX_ID_LENGTH || (quoted && body[i] !== 0x22)) continue;
    ids.add(body.toString("latin1", start, i));
    if (ids.size > max) return { ok: false, reason: "too_many_numbers" };
  }
  return { ok: true, ids: [...ids] };
}

/**
 * The business number an event belongs to: every event of a number carries it as
 * `data.phoneNumberId`; account-level events (templates, account notices, errors without a
 * number, unknown fields of the WABA) have none and belong to the WABA.
 */
export function numberOf(event: FlankEvent): string | undefined {
  const n = (event.data as { phoneNumberId?: unknown }).phoneNumberId;
  return typeof n === "string" ? n : undefined;
}

/**
 * Numbers of parsed events that the byte scan did not see, and so the signature's secret was not
 * chosen for (must be none for a valid webhook). An event's tenant must be such a number, or, for
 * an account-level error that names none, UNATTRIBUTED_TENANT: never a number taken from anywhere
 * else in the body (like `entry.id`).
 */
export function unscannedNumbers(events: readonly FlankEvent[], scanned: readonly string[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    const n = numberOf(e);
    // At most MAX_NUMBERS_PER_WEBHOOK scanned: a linear search beats building a set of them.
    if (n !== undefined && !scanned.includes(n)) out.add(n);
    if (e.tenant !== (n ?? UNATTRIBUTED_TENANT)) out.add(e.tenant);
  }
  return [...out];
}
