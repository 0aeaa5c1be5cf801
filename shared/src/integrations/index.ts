export * from "./env-integration.js";
export * from "./errors.js";
export * from "./rotate.js";
export * from "./schemas.js";
export * from "./service.js";
export * from "./signup-graph.js";
export * from "./ttl-cache.js";
export * from "./wire.js";
