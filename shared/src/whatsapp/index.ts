export * from "./normalize.js";
export * from "./service-window.js";
export * from "./signature.js";
