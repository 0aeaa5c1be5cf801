export * from "./env-types.js";
export * from "./load.js";
export * from "./schema.js";
