export * from "./event.js";
export * from "./inbound.js";
export * from "./names.js";
export * from "./outbound.js";
export * from "./schemas.js";
export * from "./webhook-fields.js";
