/**
 * Tolerant readers for Meta's webhook JSON. Meta adds keys, omits optional ones and (2026) sends
 * empty strings for absent ids, so nothing here throws: a value of the wrong shape reads as absent.
 */
import { isoTime, MAX_DATE_MS } from "../iso-time.js";

export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Objects of an array, skipping anything else. */
export function objs(v: unknown): Json[] {
  const out: Json[] = [];
  if (Array.isArray(v)) for (const x of v) if (obj(x)) out.push(x as Json);
  return out;
}

/** A non-empty string; "" reads as absent (BSUID users get `"from": ""`, docs/whatsapp-contract.md "Identity"). */
export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** An id or timestamp: documented as strings, but a number is accepted too. */
export const idStr = (v: unknown): string | undefined =>
  typeof v === "number" && Number.isFinite(v) ? String(v) : str(v);

export const num = (v: unknown): number | undefined => {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
};

export const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);

/** Meta's unix-seconds string as ISO-8601; undefined when absent or not a time. */
export function isoFromUnix(v: unknown): string | undefined {
  const seconds = num(v);
  if (seconds === undefined || Math.abs(seconds * 1000) > MAX_DATE_MS) return undefined;
  return isoTime(seconds * 1000);
}

/**
 * A copy without the keys whose value is undefined, so events carry only what Meta sent. Copying
 * beats `delete`, which turns objects into slow dictionaries on this hot path.
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/** `compact`, or undefined when nothing is left. */
export function compactOrUndefined<T extends object>(value: T): T | undefined {
  const out = compact(value);
  return Object.keys(out).length > 0 ? out : undefined;
}
