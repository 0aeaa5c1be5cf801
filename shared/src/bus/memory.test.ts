import { pino } from "pino";
import { busContract } from "./bus.contract.js";
import { MemoryBackend } from "./memory.js";
import { PartitionedBus } from "./partitioned-bus.js";

const backend = new MemoryBackend(100_000);
busContract("memory", {
  connect: async (tuning) => ({
    bus: new PartitionedBus(backend, pino({ level: "silent" }), tuning),
    backend,
  }),
});
