export * from "./factory.js";
export * from "./memory.js";
export { InvalidStoreInput } from "./page.js";
export {
  ConversationSnapshot,
  type SessionCache,
  type SessionEntry,
  SessionEntrySchema,
  sessionHistoryKeep,
} from "./session-cache.js";
export * from "./session-cache-memory.js";
export * from "./session-cache-redis.js";
export * from "./status-rank.js";
export { normalizeLanguage, UNSENDABLE_TEMPLATE_STATUSES } from "./template-merge.js";
export * from "./types.js";
