export * from "./guarded-fetch.js";
export * from "./multipart.js";
export * from "./stream-request.js";
