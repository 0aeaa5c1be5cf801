export * from "./changes.js";
export * from "./eligible.js";
export * from "./factory.js";
export * from "./presence.js";
export * from "./recipient.js";
export * from "./redis-presence.js";
