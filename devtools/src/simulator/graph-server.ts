import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ParsedMultipart, parseMultipart } from "@flank/shared/http";
import { handleControl } from "./control.js";
import { type FaultSettings, type GraphReply, NO_FAULTS, standingFailure, withLatency } from "./faults.js";
import { graphErrorBody, graphErrorStatus } from "./graph-errors.js";
import {
  answerGraph,
  type GraphAnswer,
  type GraphMedia,
  type GraphRequest,
  MESSAGES_PATH,
  type RouteState,
  type StoredMedia,
} from "./graph-routes.js";
import type { BusinessNumber } from "./meta-payloads.js";
import {
  type AcceptedSend,
  createStatusNotifier,
  DEFAULT_STATUS_TIMING,
  type StatusDelivery,
  type StatusTiming,
} from "./status-notifier.js";
import type { WebhookTarget } from "./webhook-post.js";

export type { GraphReply } from "./faults.js";
export type { GraphMedia } from "./graph-routes.js";

/**
 * The Cloud API simulator: a local Graph API for tests, benchmarks and the embedded mode. The real
 * wire format (docs/whatsapp-contract.md "Sending"), every request recorded, scriptable failures, and
 * Meta's status webhooks (sent, delivered, read) sent back to the receiver, signed.
 */
export interface GraphRecordedRequest {
  method: string;
  path: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

export type GraphHandler = (req: GraphRecordedRequest) => GraphReply | undefined;

/** A message the simulator accepted (answered 200 with this wamid). */
export interface SimAccepted {
  wamid: string;
  phoneNumberId: string;
  to?: string;
  recipient?: string;
  body: Record<string, unknown>;
  at: number;
}

export interface GraphServerOptions {
  version?: string;
  /** Require this bearer token on Graph API calls, like Meta; by default any token is accepted. */
  token?: string;
  /** Where status webhooks go; none are sent until one is set (here or with `setWebhook`). */
  webhook?: WebhookTarget;
  statusTiming?: Partial<StatusTiming>;
  /** The business number's display number and WABA id used in status webhooks. */
  business?: Omit<BusinessNumber, "phoneNumberId">;
  hostname?: string;
  port?: number;
  random?: () => number;
}

export interface GraphTestServer {
  /** Origin, e.g. http://127.0.0.1:1234 */
  url: string;
  /** Origin plus version: what GRAPH_API_BASE should be. */
  base: string;
  requests: GraphRecordedRequest[];
  /** Recorded POST …/messages bodies (read receipts included), in order. */
  sent(): Record<string, unknown>[];
  /** Messages accepted with a wamid, in order. */
  accepted: SimAccepted[];
  /** Status webhooks sent back to the receiver, and its answers. */
  statuses: StatusDelivery[];
  /** Replies for the next requests, in order (any recipient). */
  script(...replies: GraphReply[]): void;
  /** Replies for the next requests to one recipient (`to` without +, or `recipient`). */
  scriptFor(recipient: string, ...replies: GraphReply[]): void;
  /** Standing faults (latency, a failure rate) until changed; returns the new settings. */
  setFaults(change: Partial<FaultSettings>): FaultSettings;
  /** Drops queued replies and standing faults; recordings stay. */
  clearFaults(): FaultSettings;
  /** Decides before the scripts; return undefined to fall through. */
  setHandler(handler: GraphHandler | undefined): void;
  addMedia(id: string, media: Partial<GraphMedia> & { bytes?: Buffer }): void;
  /** When set, a request without `Authorization: Bearer <token>` gets error 190. */
  requireToken(token: string | undefined): void;
  setWebhook(target: WebhookTarget | undefined): void;
  setStatusTiming(timing: Partial<StatusTiming>): void;
  /** Resolves when every status webhook scheduled so far has been sent. */
  idle(): Promise<void>;
  /** Clears recordings, scripts, faults and the handler. */
  reset(): void;
  stop(): Promise<void>;
}

const recipientOf = (body: unknown): string | undefined => {
  const b = body as { to?: unknown; recipient?: unknown } | null;
  if (typeof b?.to === "string") return b.to.replace(/^\+/, "");
  return typeof b?.recipient === "string" ? b.recipient : undefined;
};

/** An upload is recorded with its file's name, type and size, not its bytes. */
const recorded = (body: unknown): unknown => {
  const form = body as Partial<ParsedMultipart> | undefined;
  if (!form?.fields) return body;
  const { bytes, ...file } = form.file ?? { bytes: Buffer.alloc(0) };
  return { ...form.fields, ...(form.file ? { file: { ...file, size: bytes.length } } : {}) };
};

const isSend = (r: GraphRecordedRequest) =>
  r.method === "POST" &&
  MESSAGES_PATH.test(r.path) &&
  (r.body as { status?: unknown } | null)?.status !== "read";

export async function startGraphServer(opts: GraphServerOptions = {}): Promise<GraphTestServer> {
  const version = opts.version ?? "v25.0";
  const random = opts.random ?? Math.random;
  const requests: GraphRecordedRequest[] = [];
  const accepted: SimAccepted[] = [];
  let queue: GraphReply[] = [];
  let perRecipient = new Map<string, GraphReply[]>();
  let handler: GraphHandler | undefined;
  let token = opts.token;
  let faults: FaultSettings = NO_FAULTS;
  let webhook = opts.webhook;
  let timing: StatusTiming = { ...DEFAULT_STATUS_TIMING, ...opts.statusTiming };
  const media = new Map<string, StoredMedia>();
  const routes: RouteState = {
    media,
    subscriptions: new Map(),
    mediaUrl: (id) => `${url}/media-download/${id}`,
  };
  const hanging = new Set<ServerResponse>();
  const notifier = createStatusNotifier(
    () => webhook,
    () => timing,
  );
  let url = "";

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const succeed = (res: ServerResponse, req: GraphRequest, failCode?: number) => {
    const out: GraphAnswer = answerGraph(req, routes);
    if (out.bytes) {
      res.writeHead(out.status, { "content-type": out.contentType ?? "application/octet-stream" });
      res.end(out.bytes);
    } else json(res, out.status, out.json);
    if (!out.accepted) return;
    const a = out.accepted;
    accepted.push({
      wamid: a.wamid,
      phoneNumberId: a.phoneNumberId,
      ...(a.to ? { to: a.to } : {}),
      ...(a.recipient ? { recipient: a.recipient } : {}),
      body: req.body as Record<string, unknown>,
      at: Date.now(),
    });
    const send: AcceptedSend = {
      ...opts.business,
      wamid: a.wamid,
      phoneNumberId: a.phoneNumberId,
      ...(a.to ? { recipientId: a.to.replace(/^\+/, "") } : { recipientUserId: a.recipient }),
      ...(a.biz ? { bizOpaqueCallbackData: a.biz } : {}),
      ...(failCode === undefined ? {} : { failCode }),
    };
    notifier.notify(send);
  };

  const answer = async (res: ServerResponse, req: GraphRequest, reply: GraphReply): Promise<void> => {
    switch (reply.kind) {
      case "hang":
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      case "delay":
        await new Promise((r) => setTimeout(r, reply.ms));
        if (res.destroyed) return;
        return answer(res, req, reply.then ?? { kind: "ok" });
      case "error":
        return json(
          res,
          reply.status ?? graphErrorStatus(reply.code),
          graphErrorBody(reply.code, reply.message, reply.details),
        );
      case "raw":
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
        return;
      case "ok":
        return succeed(res, req);
      case "accept-then-fail":
        return succeed(res, req, reply.code);
      default:
        // A handler returned something that is not a GraphReply: say so rather than hang.
        return json(
          res,
          500,
          graphErrorBody(1, `simulator: invalid scripted reply ${JSON.stringify(reply)}`),
        );
    }
  };

  const choose = (req: GraphRecordedRequest): GraphReply => {
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      return { kind: "error", code: 190, message: "Error validating access token" };
    }
    const fromHandler = handler?.(req);
    if (fromHandler) return fromHandler;
    const who = recipientOf(req.body);
    const mine = who === undefined ? undefined : perRecipient.get(who);
    const next = mine?.shift() ?? queue.shift() ?? standingFailure(faults, isSend(req), random);
    return withLatency(faults, next ?? { kind: "ok" });
  };

  const server: Server = createServer(async (incoming: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    let body: unknown;
    const contentType = incoming.headers["content-type"] ?? "";
    if (contentType.startsWith("multipart/form-data")) {
      // A media upload: the fields and the file's bytes (recorded without the bytes, below).
      body = parseMultipart(raw, contentType);
    } else {
      const text = raw.toString("utf8");
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return json(res, 400, graphErrorBody(100, "Invalid JSON"));
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(incoming.headers)) if (typeof v === "string") headers[k] = v;
    const target = new URL(incoming.url ?? "/", url);
    const method = incoming.method ?? "GET";
    const control = handleControl(method, target.pathname, body, sim);
    if (control) return json(res, control.status, control.body);
    const req: GraphRecordedRequest = {
      method,
      path: target.pathname,
      headers,
      body: recorded(body),
      at: Date.now(),
    };
    requests.push(req);
    await answer(res, { ...req, body, query: target.searchParams }, choose(req));
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.hostname ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;

  const sim: GraphTestServer = {
    url,
    base: `${url}/${version}`,
    requests,
    accepted,
    statuses: notifier.deliveries,
    sent: () =>
      requests
        .filter((r) => r.method === "POST" && MESSAGES_PATH.test(r.path))
        .map((r) => r.body as Record<string, unknown>),
    script: (...replies) => {
      queue.push(...replies);
    },
    scriptFor: (recipient, ...replies) => {
      const key = recipient.replace(/^\+/, "");
      perRecipient.set(key, [...(perRecipient.get(key) ?? []), ...replies]);
    },
    setFaults: (change) => {
      faults = { ...faults, ...change };
      return faults;
    },
    clearFaults: () => {
      queue = [];
      perRecipient = new Map();
      faults = NO_FAULTS;
      return faults;
    },
    setHandler: (h) => {
      handler = h;
    },
    addMedia: (id, m) => {
      const bytes = m.bytes ?? Buffer.from(`simulated media ${id}`);
      media.set(id, {
        url: m.url ?? `${url}/media-download/${id}`,
        mime_type: m.mime_type ?? "image/jpeg",
        sha256: m.sha256 ?? createHash("sha256").update(bytes).digest("hex"),
        file_size: m.file_size ?? bytes.length,
        bytes,
      });
    },
    requireToken: (t) => {
      token = t;
    },
    setWebhook: (target) => {
      webhook = target;
    },
    setStatusTiming: (t) => {
      timing = { ...timing, ...t };
    },
    idle: () => notifier.idle(),
    reset: () => {
      requests.length = 0;
      accepted.length = 0;
      notifier.deliveries.length = 0;
      queue = [];
      perRecipient = new Map();
      handler = undefined;
      faults = NO_FAULTS;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        notifier.stop();
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return sim;
}
