export * from "./guarded-fetch.js";
