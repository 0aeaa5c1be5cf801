import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the other origin received. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface RedirectServers {
  /** The origin a client is pointed at: answers every request with `status` to the other one. */
  redirector: string;
  /** Another origin (another port): records what reaches it and answers 200 `{}`. */
  other: string;
  /** What reached the other origin. */
  seen: SeenRequest[];
  /** An origin whose answers are `bytes` long (for response size caps). */
  large(bytes: number): Promise<string>;
  stop(): Promise<void>;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/**
 * Two real HTTP servers on loopback for the "credentials never follow a redirect" tests: one
 * redirects every request (same path) to the other, which records what it gets.
 */
export async function startRedirectServers(status = 307): Promise<RedirectServers> {
  const seen: SeenRequest[] = [];
  const servers: Server[] = [];
  const otherServer = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  servers.push(otherServer);
  const other = await listen(otherServer);
  const redirectorServer = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { location: `${other}${req.url ?? "/"}` }).end();
  });
  servers.push(redirectorServer);
  const redirector = await listen(redirectorServer);
  return {
    redirector,
    other,
    seen,
    large: async (bytes) => {
      const server = createServer((req, res) => {
        req.resume();
        // No Content-Length: the cap must hold while reading, not only on a declared size.
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = bytes;
        const pump = () => {
          while (left > 0) {
            const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
            left -= part.length;
            if (!res.write(part)) return void res.once("drain", pump);
          }
          res.end();
        };
        res.on("error", () => undefined);
        pump();
      });
      servers.push(server);
      return listen(server);
    },
    stop: async () => {
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
