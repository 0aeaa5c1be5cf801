import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ResponseTooLargeError } from "@flank/shared/http";
import { freePort, type RedirectServers, startRedirectServers } from "@flank/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeanHttp } from "./lean-fetch.js";

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 1000);
    if (req.url === "/trickle") {
      res.writeHead(200).write("first part");
      return void setTimeout(() => res.end("late"), 1000);
    }
    if (req.url === "/moved") return void res.writeHead(302, { location: "/echo" }).end();
    if (req.url === "/empty") return void res.writeHead(204).end();
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      res.writeHead(201, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      res.end(JSON.stringify({ method: req.method, url: req.url, body, h: req.headers["x-h"] ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("lean request (no Response)", () => {
  const { request } = createLeanHttp();
  const post = (path: string, timeoutMs = 2000, body = "hi") =>
    request(`${base}${path}`, { method: "POST", headers: { "X-H": "v" }, body, timeoutMs });

  it("sends method, headers and body; answers status and text", async () => {
    const answer = await post("/echo");
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.text)).toEqual({ method: "POST", url: "/echo", body: "hi", h: "v" });
    expect(answer.header("content-type")).toBe("application/json");
    expect(answer.header("set-cookie")).toBe("a=1, b=2");
    expect(answer.header("x-missing")).toBeUndefined();
  });

  it("answers a redirect as it is and a 204 with no text", async () => {
    const moved = await post("/moved");
    expect(moved).toMatchObject({ status: 302, statusText: "", text: "" });
    expect(moved.header("location")).toBe("/echo");
    expect(await post("/empty")).toMatchObject({ status: 204, statusText: "", text: "" });
  });

  it("rejects with a TimeoutError past the deadline, also while the body is arriving", async () => {
    await expect(post("/slow", 50)).rejects.toMatchObject({ name: "TimeoutError" });
    await expect(post("/trickle", 50)).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("rejects when nothing listens", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/x`;
    await expect(request(closed, { method: "GET", headers: {}, timeoutMs: 500 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe("pooled sockets", () => {
  // A server that keeps connections open for a minute, so only the client can close them.
  let keeper: Server;
  let url: string;
  const opened: Socket[] = [];
  beforeAll(async () => {
    keeper = createServer((_req, res) => res.end("ok"));
    keeper.keepAliveTimeout = 60_000;
    keeper.on("connection", (socket: Socket) => opened.push(socket));
    await new Promise<void>((r) => keeper.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(keeper.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    keeper.closeAllConnections();
    keeper.close();
  });
  const get = (request: ReturnType<typeof createLeanHttp>["request"]) =>
    request(url, { method: "GET", headers: {}, timeoutMs: 2000 });

  it("reuses a connection, and closes it once idle before the server would (no call on a closing socket)", async () => {
    const { request } = createLeanHttp({ idleSocketMs: 50 });
    opened.length = 0;
    await get(request);
    await get(request);
    expect(opened).toHaveLength(1);
    // The client ends the idle connection: the server sees it close, long before its own minute.
    await new Promise((resolve) => opened[0]?.once("close", resolve));
    await get(request);
    expect(opened).toHaveLength(2);
  });
});

describe("credentials and redirects, answer sizes", () => {
  let servers: RedirectServers;
  beforeAll(async () => {
    servers = await startRedirectServers(307);
  });
  afterAll(() => servers.stop());
  const secret = { authorization: "Bearer EAAsecret-token", "content-type": "application/json" };

  it("never sends a request on to the other origin of a 307 (no Authorization leaves)", async () => {
    const { request } = createLeanHttp();
    const viaRequest = await request(`${servers.redirector}/v25.0/1/messages`, {
      method: "POST",
      headers: secret,
      body: "{}",
      timeoutMs: 2000,
    });
    expect(viaRequest.status).toBe(307);
    expect(servers.seen).toEqual([]);
  });

  it("rejects an answer larger than the cap, declared or not", async () => {
    const url = await servers.large(300_000);
    const { request } = createLeanHttp({ maxResponseBytes: 100_000 });
    await expect(request(url, { method: "GET", headers: {}, timeoutMs: 2000 })).rejects.toBeInstanceOf(
      ResponseTooLargeError,
    );
    expect(
      (
        await createLeanHttp({ maxResponseBytes: 400_000 }).request(url, {
          method: "GET",
          headers: {},
          timeoutMs: 2000,
        })
      ).text,
    ).toHaveLength(300_000);
  });
});
