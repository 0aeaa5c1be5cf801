export * from "./keyring.js";
export * from "./secret-box.js";
