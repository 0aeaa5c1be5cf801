import { describe, expect, it } from "vitest";
import type { AgentPresence, PresenceOptions } from "./presence.js";

/** One suite for every AgentPresence adapter. `make` gets a fresh namespace per call. */
export function presenceContract(
  name: string,
  make: (opts: PresenceOptions) => Promise<AgentPresence>,
): void {
  describe(`AgentPresence contract: ${name}`, () => {
    const setup = async (maxLoad = 0) => {
      const clock = { now: 1_000_000 };
      const presence = await make({ ttlMs: 30_000, maxLoad, clock: () => clock.now });
      return { presence, clock };
    };

    it("an agent is online from its heartbeat until the TTL lapses", async () => {
      const { presence, clock } = await setup();
      expect(await presence.status("ana")).toMatchObject({ online: false, lastSeen: 0, load: 0 });
      expect(await presence.heartbeat("ana")).toMatchObject({
        agentId: "ana",
        online: true,
        lastSeen: 1_000_000,
      });
      clock.now += 29_999;
      expect((await presence.online()).map((s) => s.agentId)).toEqual(["ana"]);
      clock.now += 1;
      expect(await presence.online()).toEqual([]);
      expect(await presence.claimLeastLoaded()).toBeUndefined();
      await presence.heartbeat("ana");
      await presence.offline("ana");
      expect((await presence.status("ana")).online).toBe(false);
    });

    it("claims the least-loaded online agent and counts the conversation", async () => {
      const { presence } = await setup();
      await presence.heartbeat("bob");
      await presence.heartbeat("ana");
      await presence.addLoad("ana", 2);
      expect(await presence.claimLeastLoaded()).toBe("bob");
      expect(await presence.claimLeastLoaded()).toBe("bob");
      // Tie at 2: the lower id wins, deterministically.
      expect(await presence.claimLeastLoaded()).toBe("ana");
      expect((await presence.online()).map((s) => [s.agentId, s.load])).toEqual([
        ["bob", 2],
        ["ana", 3],
      ]);
    });

    it("claims only among the given agents when told", async () => {
      const { presence } = await setup();
      await presence.heartbeat("ana");
      await presence.heartbeat("bob");
      await presence.addLoad("bob", 5);
      expect(await presence.claimLeastLoaded(["bob", "cy"])).toBe("bob");
      expect(await presence.claimLeastLoaded(["cy"])).toBeUndefined();
      expect(await presence.claimLeastLoaded([])).toBeUndefined();
      expect(await presence.claimLeastLoaded()).toBe("ana");
      expect((await presence.status("bob")).load).toBe(6);
    });

    it("never lets a load fall below zero", async () => {
      const { presence } = await setup();
      expect(await presence.addLoad("ana", 1)).toBe(1);
      expect(await presence.addLoad("ana", -3)).toBe(0);
      expect((await presence.status("ana")).load).toBe(0);
    });

    it("skips agents at the cap", async () => {
      const { presence } = await setup(1);
      await presence.heartbeat("ana");
      expect(await presence.claimLeastLoaded()).toBe("ana");
      expect(await presence.claimLeastLoaded()).toBeUndefined();
    });

    it("hands out each agent once per claim under concurrency", async () => {
      const { presence } = await setup();
      await Promise.all(["a", "b", "c", "d"].map((id) => presence.heartbeat(id)));
      const claimed = await Promise.all(Array.from({ length: 8 }, () => presence.claimLeastLoaded()));
      const counts = new Map<string, number>();
      for (const id of claimed) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect([...counts.values()]).toEqual([2, 2, 2, 2]);
    });
  });
}
