/**
 * `new Date(ms).toISOString()`, formatting each second once: V8 prints every date through
 * printf (~7,000 instructions), and a webhook formats three (its receipt, the message's time,
 * the event's). Two seconds are kept, now and the time Meta's messages carry.
 */
const seconds: [number, string][] = [
  [Number.NaN, ""],
  [Number.NaN, ""],
];

/** "YYYY-MM-DDTHH:MM:SS." of the second `s` since the epoch. */
function prefixOf(s: number): string {
  const [last, before] = seconds as [[number, string], [number, string]];
  if (last[0] === s) return last[1];
  if (before[0] === s) {
    seconds.reverse();
    return before[1];
  }
  // Without the "mmmZ": also right for the years past 9999 and before 0 that toISOString widens.
  const prefix = new Date(s * 1000).toISOString().slice(0, -4);
  seconds[1] = last;
  seconds[0] = [s, prefix];
  return prefix;
}

/** The largest distance from the epoch a Date holds, in ms either way. */
export const MAX_DATE_MS = 8.64e15;

/** The ISO-8601 string of `ms` since the epoch, as Date#toISOString gives it (RangeError when out of range). */
export function isoTime(ms: number): string {
  const whole = Math.trunc(ms); // as Date does
  // Out of Date's range: Date itself throws the RangeError.
  if (!(Math.abs(whole) <= MAX_DATE_MS)) return new Date(whole).toISOString();
  const s = Math.floor(whole / 1000);
  const milli = whole - s * 1000;
  return `${prefixOf(s)}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
