import { describe, expect, it } from "vitest";
import { BoundedMap } from "./bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the oldest set past its bound; setting again makes a key the newest", () => {
    const m = new BoundedMap<string, number>(2);
    m.set("a", 1);
    m.set("b", 2);
    m.set("a", 3);
    m.set("c", 4);
    expect([m.get("a"), m.get("b"), m.get("c")]).toEqual([3, undefined, 4]);
    expect(m.size).toBe(2);
    m.delete("a");
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(1);
  });

  it("keeps nothing with a bound of 0", () => {
    const m = new BoundedMap<string, number>(0);
    m.set("a", 1);
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(0);
  });
});
