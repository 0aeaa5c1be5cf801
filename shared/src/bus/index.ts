export * from "./backend.js";
export * from "./bus.js";
export * from "./factory.js";
export * from "./memory.js";
export * from "./partition.js";
export * from "./partitioned-bus.js";
export * from "./redis.js";
export * from "./subject.js";
