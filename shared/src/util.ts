export * from "./bounded-map.js";
export * from "./semaphore.js";
