export { type AppOptions, createApp } from "./app.js";
export type { GatewayDeps } from "./deps.js";
export { type RunningGateway, type StartOptions, startGateway } from "./gateway.js";
export { service } from "./service.js";
export { StreamSlots, type TapStreamOptions, tapStream } from "./sse-tap.js";
export { type StatusWriter, startStatusWriter } from "./status-writer.js";
