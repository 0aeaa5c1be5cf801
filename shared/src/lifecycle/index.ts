export * from "./connect.js";
export * from "./health-log.js";
export * from "./service.js";
export * from "./shutdown.js";
