import { createHash, randomBytes } from "node:crypto";
import { graphErrorBody } from "./graph-errors.js";
import { newWamid } from "./meta-payloads.js";

/**
 * The Graph API endpoints Flank calls, answered like Meta (docs/whatsapp-contract.md "Sending" and Embedded
 * Signup). Pure apart from fresh ids: the server does the I/O and the bookkeeping.
 */
export interface GraphRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphMedia {
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
}

export interface StoredMedia extends GraphMedia {
  bytes: Buffer;
}

export interface GraphAnswer {
  status: number;
  json?: unknown;
  bytes?: Buffer;
  contentType?: string;
  /** Set on an accepted message send: what the status webhooks are about. */
  accepted?: { wamid: string; phoneNumberId: string; to?: string; recipient?: string; biz?: string };
}

export const MESSAGES_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;
const OBJECT_PATH = /^\/(v\d+\.\d+)\/([^/]+)$/;
const OAUTH_PATH = /^\/(v\d+\.\d+)\/oauth\/access_token$/;
const SUBSCRIBED_APPS_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/subscribed_apps$/;
export const MEDIA_DOWNLOAD_PATH = /^\/media-download\/([^/]+)$/;
const MEDIA_UPLOAD_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/media$/;

const error = (status: number, code: number, message: string): GraphAnswer => ({
  status,
  json: graphErrorBody(code, message),
});

export interface RouteState {
  /** Uploads (`POST /{phone-number-id}/media`) are added; webhooks' media ids come from `addMedia`. */
  media: Map<string, StoredMedia>;
  /** Where a media id's bytes are served (the URL `GET /{media-id}` answers). */
  mediaUrl: (id: string) => string;
  /** The app subscriptions made per WABA (Embedded Signup). */
  subscriptions: Map<string, Set<string>>;
}

export function answerGraph(req: GraphRequest, state: RouteState): GraphAnswer {
  const { method, path } = req;
  const messages = MESSAGES_PATH.exec(path);
  if (messages?.[2] && method === "POST") return sendMessage(messages[2], req.body);

  if (MEDIA_UPLOAD_PATH.test(path) && method === "POST") return upload(req.body, state);

  const download = MEDIA_DOWNLOAD_PATH.exec(path);
  if (download?.[1] && method === "GET") {
    // "If you omit your token, the request will fail" (docs/whatsapp-contract.md "Sending").
    if (!req.headers.authorization?.startsWith("Bearer ")) return error(401, 190, "Missing access token");
    const found = state.media.get(download[1]);
    if (!found) return error(404, 100, "Media not found");
    return { status: 200, bytes: found.bytes, contentType: found.mime_type };
  }

  if (OAUTH_PATH.test(path) && method === "GET") {
    const code = req.query.get("code");
    if (!req.query.get("client_id") || !req.query.get("client_secret") || !code) {
      return error(400, 100, "Missing client_id, client_secret or code parameter");
    }
    if (code.startsWith("invalid")) return error(400, 100, "Invalid verification code format.");
    return {
      status: 200,
      json: { access_token: `EAAG${randomBytes(24).toString("base64url")}`, token_type: "bearer" },
    };
  }

  const subscribed = SUBSCRIBED_APPS_PATH.exec(path);
  if (subscribed?.[2]) {
    const waba = subscribed[2];
    const apps = state.subscriptions.get(waba) ?? new Set<string>();
    if (method === "POST") {
      apps.add(req.query.get("app_id") ?? "app");
      state.subscriptions.set(waba, apps);
      return { status: 200, json: { success: true } };
    }
    if (method === "GET") {
      return { status: 200, json: { data: [...apps].map((id) => ({ whatsapp_business_api_data: { id } })) } };
    }
    if (method === "DELETE") {
      state.subscriptions.delete(waba);
      return { status: 200, json: { success: true } };
    }
  }

  const object = OBJECT_PATH.exec(path);
  if (object?.[2] && method === "GET") {
    const found = state.media.get(object[2]);
    if (!found) return error(400, 100, "Unsupported get request.");
    const { bytes: _bytes, ...meta } = found;
    return { status: 200, json: { messaging_product: "whatsapp", ...meta, id: object[2] } };
  }
  return error(404, 100, `Unknown path ${method} ${path}`);
}

/** `POST /{phone-number-id}/media` (docs/whatsapp-contract.md "Sending"): multipart with messaging_product, type and file. */
function upload(body: unknown, state: RouteState): GraphAnswer {
  const form = body as
    | { fields?: Record<string, string>; file?: { contentType: string; bytes: Buffer } }
    | undefined;
  if (form?.fields?.messaging_product !== "whatsapp")
    return error(400, 100, "Param messaging_product is required");
  if (!form.file) return error(400, 100, "Param file is required");
  const id = String(Math.floor(1e15 + Math.random() * 9e15));
  const mime = form.fields.type || form.file.contentType;
  state.media.set(id, {
    url: state.mediaUrl(id),
    mime_type: mime,
    sha256: createHash("sha256").update(form.file.bytes).digest("hex"),
    file_size: form.file.bytes.length,
    bytes: form.file.bytes,
  });
  return { status: 200, json: { id } };
}

function sendMessage(phoneNumberId: string, raw: unknown): GraphAnswer {
  const body = (raw ?? {}) as Record<string, unknown>;
  if (body.messaging_product !== "whatsapp") return error(400, 100, "Invalid parameter");
  // Mark as read, with or without the typing indicator (docs/whatsapp-contract.md "Sending").
  if (body.status === "read") {
    return typeof body.message_id === "string"
      ? { status: 200, json: { success: true } }
      : error(400, 100, "Invalid parameter");
  }
  const to = typeof body.to === "string" ? body.to : undefined;
  const recipient = typeof body.recipient === "string" ? body.recipient : undefined;
  if (!(to || recipient) || typeof body.type !== "string") return error(400, 100, "Invalid parameter");
  const wamid = newWamid();
  // `to` wins when both are given (docs/whatsapp-contract.md "Identity").
  const contact = to ? { input: to, wa_id: to.replace(/^\+/, "") } : { input: recipient, user_id: recipient };
  const biz = typeof body.biz_opaque_callback_data === "string" ? body.biz_opaque_callback_data : undefined;
  return {
    status: 200,
    json: { messaging_product: "whatsapp", contacts: [contact], messages: [{ id: wamid }] },
    accepted: {
      wamid,
      phoneNumberId,
      ...(to ? { to } : { recipient }),
      ...(biz ? { biz } : {}),
    },
  };
}
