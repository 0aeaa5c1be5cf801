export * from "./parse.js";
export * from "./regex.js";
export * from "./registry.js";
export * from "./schema.js";
