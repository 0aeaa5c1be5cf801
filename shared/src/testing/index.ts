export * as whatsappFixtures from "../whatsapp/fixtures/index.js";
export * from "./log.js";
export * from "./openai-server.js";
export * from "./process.js";
export * from "./redirect-servers.js";
export * from "./servers.js";
export * from "./wait.js";
