import { MongoClient } from "mongodb";
import { pino } from "pino";
import { describe } from "vitest";
import { createMongoStores } from "./mongo.js";
import { storeContract } from "./store.contract.js";

// Needs a MongoDB server: MONGODB_URI=mongodb://127.0.0.1:27017 npx vitest run src/store/mongo.test.ts
const uri = process.env.MONGODB_URI;
const db = `flank_test_${process.pid}_${Date.now().toString(36)}`;
const log = pino({ level: process.env.LOG_LEVEL ?? "silent" });

describe.skipIf(!uri)("mongo", () => {
  storeContract("mongo", {
    backend: "mongo",
    open: async () => createMongoStores({ uri: uri ?? "", db }, log),
    teardown: async () => {
      const client = new MongoClient(uri ?? "");
      try {
        await client.db(db).dropDatabase();
      } finally {
        await client.close();
      }
    },
  });
});
