// The arithmetic helpers stay internal: callers need the port and its two adapters only.
export type { Bucket, TokenBuckets } from "./token-bucket.js";
export { MemoryTokenBuckets } from "./token-bucket-memory.js";
export { RedisTokenBuckets } from "./token-bucket-redis.js";
