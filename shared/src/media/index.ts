export * from "./file-store.js";
export * from "./limits.js";
export * from "./memory-store.js";
export * from "./metered.js";
export * from "./requested.js";
export * from "./store.js";
export * from "./sweeper.js";
