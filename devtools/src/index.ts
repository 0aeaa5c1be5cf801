export * from "./log.js";
export * from "./openai-server.js";
export * from "./simulator/index.js";
