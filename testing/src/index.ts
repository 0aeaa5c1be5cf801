export * from "./compose.js";
export * as whatsappFixtures from "./fixtures/index.js";
export * from "./process.js";
export * from "./redirect-servers.js";
export * from "./redis-commands.js";
export * from "./servers.js";
export * from "./wait.js";
