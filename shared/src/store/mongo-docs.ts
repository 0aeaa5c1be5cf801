import { MongoServerError } from "mongodb";
import { FlankError } from "../errors.js";

/** Every stored document uses the domain id as `_id`, so ids are unique without another index. */
export type Doc<T> = T & { _id: string };

/** Results never expose Mongo's `_id` (or other storage-only fields). */
export function strip<T extends object>(doc: Doc<T>): T {
  const { _id: _ignored, ...rest } = doc;
  return rest as unknown as T;
}

export const isDuplicateKey = (err: unknown): err is MongoServerError =>
  err instanceof MongoServerError && err.code === 11000;

/** The field a duplicate-key error is about: from keyPattern when the server sends it, else the message. */
export function duplicateField(err: MongoServerError, fields: readonly string[]): string {
  const pattern: unknown = err.keyPattern;
  const keys = pattern && typeof pattern === "object" ? Object.keys(pattern) : [];
  const fromPattern = fields.find((f) => keys.includes(f)) ?? (keys.includes("_id") ? "id" : undefined);
  if (fromPattern) return fromPattern;
  // Older servers: the index name is in the message ("index: verifyToken_unique dup key: ...").
  const index = /index: (\S+)/.exec(err.message)?.[1] ?? "";
  return fields.find((f) => index.startsWith(f)) ?? (index.startsWith("_id") ? "id" : "unknown");
}

/** Compare-and-set loops give up after this many lost races: the caller may retry later. */
export const MAX_RACES = 10;

export const tooManyRaces = (what: string, context: Record<string, unknown>): FlankError =>
  new FlankError("StoreContention", `${what}: too many concurrent writers`, { context, retryable: true });
