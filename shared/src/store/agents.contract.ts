import { describe, expect, it } from "vitest";
import { agentForKey, createAgent, rotateAgentKey } from "../agents/service.js";
import type { ContractContext } from "./store.contract.js";
import { type Agent, UniqueViolation } from "./types.js";

export function agentsContract({ stores, uniq }: ContractContext): void {
  const agent = (extra: Partial<Agent> = {}): Agent => ({
    id: uniq("ag"),
    name: "Ana",
    tenants: ["106540352242922"],
    enabled: true,
    keyHash: uniq("hash"),
    keyHint: "…abcd",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  describe("agents", () => {
    it("creates and finds by id and key hash; lists oldest first", async () => {
      const a = agent({ createdAt: "2026-01-01T00:00:00.000Z" });
      const b = agent({ createdAt: "2026-01-02T00:00:00.000Z", tenants: ["*"] });
      expect(await stores().agents.create(b)).toEqual(b);
      expect(await stores().agents.create(a)).toEqual(a);
      expect(await stores().agents.get(a.id)).toEqual(a);
      expect(await stores().agents.getByKeyHash(b.keyHash)).toEqual(b);
      expect(await stores().agents.get(uniq("nope"))).toBeUndefined();
      expect(await stores().agents.getByKeyHash(uniq("nope"))).toBeUndefined();
      const ids = (await stores().agents.list()).map((x) => x.id);
      expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    });

    it("refuses a taken id or key hash, naming the field", async () => {
      const a = await stores().agents.create(agent());
      const taken = await failure(stores().agents.create(agent({ id: a.id })));
      expect(taken).toBeInstanceOf(UniqueViolation);
      expect((taken as UniqueViolation).field).toBe("id");
      const sameKey = await failure(stores().agents.create(agent({ keyHash: a.keyHash })));
      expect((sameKey as UniqueViolation).field).toBe("keyHash");
    });

    it("updates the given fields only; undefined for an unknown agent", async () => {
      const a = await stores().agents.create(agent());
      const off = await stores().agents.update(a.id, { enabled: false, name: undefined });
      expect(off).toMatchObject({ id: a.id, name: "Ana", enabled: false, createdAt: a.createdAt });
      expect(off?.updatedAt).not.toBe(a.updatedAt);
      expect(await stores().agents.get(a.id)).toEqual(off);
      expect(await stores().agents.update(uniq("nope"), { enabled: true })).toBeUndefined();
    });

    it("keeps only a hash of the key: the key finds the agent until rotated or disabled", async () => {
      const { agent: created, key } = await createAgent(stores().agents, {
        id: uniq("ag"),
        name: "Bo",
        tenants: ["*"],
      });
      expect(JSON.stringify(await stores().agents.get(created.id))).not.toContain(key);
      expect(created.keyHint).toBe(`…${key.slice(-4)}`);
      expect((await agentForKey(stores().agents, key))?.id).toBe(created.id);
      expect(await agentForKey(stores().agents, `${key}x`)).toBeUndefined();

      const rotated = await rotateAgentKey(stores().agents, created.id);
      expect(rotated?.key).not.toBe(key);
      expect(await agentForKey(stores().agents, key)).toBeUndefined();
      expect((await agentForKey(stores().agents, rotated?.key ?? ""))?.id).toBe(created.id);

      await stores().agents.update(created.id, { enabled: false });
      expect(await agentForKey(stores().agents, rotated?.key ?? "")).toBeUndefined();
      expect(await rotateAgentKey(stores().agents, uniq("nope"))).toBeUndefined();
    });
  });
}
