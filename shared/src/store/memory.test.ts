import { createMemoryStores } from "./memory.js";
import { storeContract } from "./store.contract.js";

storeContract("memory", { backend: "memory", open: async () => createMemoryStores() });
