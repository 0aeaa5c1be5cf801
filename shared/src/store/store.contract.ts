import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentsContract } from "./agents.contract.js";
import { conversationsContract } from "./conversations.contract.js";
import { integrationsContract } from "./integrations.contract.js";
import { messagesContract } from "./messages.contract.js";
import { dedupContract, summariesContract } from "./small-stores.contract.js";
import { templatesContract } from "./templates.contract.js";
import type { Stores } from "./types.js";
import { usersContract } from "./users.contract.js";

/** What a contract run needs from an adapter: stores on an empty backend, and cleanup. */
export interface StoreHarness {
  backend: "memory" | "mongo";
  open(): Promise<Stores>;
  /** Drops what open() created (a Mongo database); stores are closed before. */
  teardown?(): Promise<void>;
}

/** Access to the suite's stores (opened in beforeAll) and a unique-name helper for isolation. */
export interface ContractContext {
  stores(): Stores;
  uniq(prefix: string): string;
}

let seq = 0;

/**
 * One suite for every adapter. Tests share one set of stores per suite and keep
 * apart by unique tenants and ids, so the suite also runs against a shared database.
 */
export function storeContract(name: string, harness: StoreHarness): void {
  describe(`store contract: ${name}`, () => {
    let stores: Stores | undefined;
    const ctx: ContractContext = {
      stores: () => {
        if (!stores) throw new Error("stores not opened");
        return stores;
      },
      uniq: (prefix) => `${prefix}${process.pid}${Date.now().toString(36)}${++seq}`,
    };

    beforeAll(async () => {
      stores = await harness.open();
      await stores.init();
    });
    afterAll(async () => {
      await stores?.close();
      await harness.teardown?.();
    });

    it("reports health", async () => {
      expect(await ctx.stores().health()).toMatchObject({ ok: true, backend: harness.backend });
    });

    it("init is idempotent", async () => {
      await expect(ctx.stores().init()).resolves.toBeUndefined();
    });

    conversationsContract(ctx);
    messagesContract(ctx);
    usersContract(ctx);
    summariesContract(ctx);
    integrationsContract(ctx);
    agentsContract(ctx);
    templatesContract(ctx);
    dedupContract(ctx);
  });
}
