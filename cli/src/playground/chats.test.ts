import { describe, expect, it } from "vitest";
import { createChats, MAX_CHATS, TooManyChats, UnknownFlow } from "./chats.js";

describe("playground chats", () => {
  const make = () => {
    let n = 0;
    return createChats({
      defaultFlowId: "a",
      defaultNumber: "100000000000001",
      flowIds: ["a", "b"],
      newNumber: async () => String(99990000000000 + ++n),
    });
  };

  it("keeps one current chat per flow; fresh opens a new one and only opened numbers are known", async () => {
    const chats = make();
    expect(await chats.open("a", false)).toEqual({ biz: "100000000000001", flowId: "a" });
    const b = await chats.open("b", false);
    expect(await chats.open("b", false)).toEqual(b);
    const b2 = await chats.open("b", true);
    expect(b2.biz).not.toBe(b.biz);
    expect(await chats.open("b", false)).toEqual(b2);
    // The old chat stays known (a reload of an older tab still reads it); others are not.
    expect(chats.get(b.biz)).toEqual(b);
    expect(chats.get("106540352242922")).toBeUndefined();
    await expect(chats.open("c", false)).rejects.toBeInstanceOf(UnknownFlow);
  });

  it("opens at most MAX_CHATS in a run (each is an integration in the stores)", async () => {
    const chats = make();
    for (let i = 1; i < MAX_CHATS; i++) await chats.open("b", true);
    await expect(chats.open("b", true)).rejects.toBeInstanceOf(TooManyChats);
    // The current chats still open.
    expect((await chats.open("a", false)).biz).toBe("100000000000001");
  });
});
