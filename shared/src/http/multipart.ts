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
