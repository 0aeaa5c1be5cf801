import { FlankError } from "../errors.js";
import type { Page, PageRequest } from "./types.js";

/** Bad arguments to a store call: a caller bug or bad client input, never worth a retry. */
export class InvalidStoreInput extends FlankError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super("InvalidStoreInput", message, { context, retryable: false });
  }
}

/**
 * A position in a sorted listing, e.g. `[updatedAt, id]`. Cursors are opaque to callers
 * (base64url JSON) so the sort key can change without breaking the API shape.
 */
export type Position = [string, string];

export const encodeCursor = (position: Position): string =>
  Buffer.from(JSON.stringify(position)).toString("base64url");

export function decodeCursor(cursor: string): Position {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string")) {
      return [String(value[0]), String(value[1])];
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidStoreInput("invalid cursor", { cursor });
}

/** Validates a page request; the position is where the previous page ended. */
export function readPage(page: PageRequest): { limit: number; after?: Position } {
  if (!Number.isInteger(page.limit) || page.limit < 1) {
    throw new InvalidStoreInput("page limit must be a positive integer", { limit: page.limit });
  }
  return page.cursor ? { limit: page.limit, after: decodeCursor(page.cursor) } : { limit: page.limit };
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says whether more exist. */
export function toPage<T>(rows: T[], limit: number, positionOf: (row: T) => Position): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, nextCursor: encodeCursor(positionOf(last)) };
}

export const comparePositions = (a: Position, b: Position): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/** Listing limits elsewhere (listByUser): 0 means all. */
export function readLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidStoreInput("limit must be a non-negative integer", { limit });
  }
  return limit;
}

export function readTtl(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new InvalidStoreInput("ttlSeconds must be a positive number", { ttlSeconds });
  }
  return ttlSeconds;
}
