export * from "./normalize.js";
export * from "./signature.js";
