import { randomBytes } from "node:crypto";

export type MultipartField =
  | { name: string; value: string }
  | { name: string; filename: string; contentType: string; body: AsyncIterable<Uint8Array> };

/** Quotes in header parameters would end them early: replaced, as browsers do. */
const quoted = (v: string) => v.replace(/["\r\n]/g, "_");

/**
 * A multipart/form-data body produced as it is sent: file parts stream from their source, so an
 * upload never holds the file whole. Returns the Content-Type (with the boundary) and the body.
 */
export function multipartBody(fields: readonly MultipartField[]): {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
} {
  const boundary = `----flank${randomBytes(12).toString("hex")}`;
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const field of fields) {
      const head =
        "value" in field
          ? `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(field.name)}"\r\n\r\n${field.value}\r\n`
          : `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(field.name)}"; filename="${quoted(field.filename)}"\r\nContent-Type: ${quoted(field.contentType)}\r\n\r\n`;
      yield Buffer.from(head, "utf8");
      if (!("value" in field)) {
        for await (const chunk of field.body) yield chunk;
        yield Buffer.from("\r\n", "utf8");
      }
    }
    yield Buffer.from(`--${boundary}--\r\n`, "utf8");
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}

export interface ParsedMultipart {
  fields: Record<string, string>;
  /** The (first) file part. */
  file?: { name: string; filename: string; contentType: string; bytes: Buffer };
}

/**
 * A whole multipart/form-data body split into its text fields and file part. For the local test
 * servers (the Graph API simulator, the OpenAI-compatible server), which read bodies whole anyway.
 */
export function parseMultipart(body: Buffer, contentType: string): ParsedMultipart {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  const out: ParsedMultipart = { fields: {} };
  if (!boundary) return out;
  // latin1 maps every byte to one character and back, so file bytes survive the split.
  for (const part of body.toString("latin1").split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const head = part.slice(0, split);
    const value = part.slice(split + 4).replace(/\r\n$/, "");
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? "";
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined && !out.file) {
      const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? "application/octet-stream";
      out.file = { name, filename, contentType: type.trim(), bytes: Buffer.from(value, "latin1") };
    } else if (filename === undefined) out.fields[name] = Buffer.from(value, "latin1").toString("utf8");
  }
  return out;
}
