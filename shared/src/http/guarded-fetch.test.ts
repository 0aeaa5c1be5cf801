import { type RedirectServers, startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedFetch, ResponseTooLargeError } from "./guarded-fetch.js";

describe("guardedFetch", () => {
  let servers: RedirectServers;
  beforeAll(async () => {
    servers = await startRedirectServers(308);
  });
  afterAll(() => servers.stop());

  it("answers a redirect as it is: nothing, and no Authorization, reaches the other origin", async () => {
    const f = guardedFetch();
    const headers = { authorization: "Bearer sk-secret" };
    const res = await f(`${servers.redirector}/v1/x`, { method: "POST", headers, body: "{}" });
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe(`${servers.other}/v1/x`);
    // A Request that asks to follow is not followed either.
    const req = new Request(`${servers.redirector}/v1/y`, { headers, redirect: "follow" });
    expect((await f(req)).status).toBe(308);
    expect(servers.seen).toEqual([]);
  });

  it("reads answers up to the cap and rejects past it", async () => {
    const url = await servers.large(50_000);
    expect((await (await guardedFetch({ maxBytes: 50_000 })(url)).text()).length).toBe(50_000);
    await expect(guardedFetch({ maxBytes: 49_999 })(url)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});
