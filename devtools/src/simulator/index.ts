export * from "./control.js";
export * from "./faults.js";
export * from "./field-payloads.js";
export * from "./graph-errors.js";
export * from "./graph-server.js";
export * from "./meta-payloads.js";
export * from "./status-notifier.js";
export * from "./webhook-post.js";
