export * from "./keys.js";
export * from "./schemas.js";
export { agentForKey, createAgent, type IssuedKey, rotateAgentKey } from "./service.js";
