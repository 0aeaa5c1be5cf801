import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, redactKeys } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe("logger", () => {
  const token = "EAAJ7x-secret-token-value";

  it("writes JSON with child logger ids", () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: "gateway", destination });
    log.child({ requestId: "r1", conversationId: "c1" }).info({ durationMs: 3 }, "done");
    const line = JSON.parse(lines[0] ?? "{}");
    expect(line).toMatchObject({
      service: "gateway",
      requestId: "r1",
      conversationId: "c1",
      durationMs: 3,
      msg: "done",
    });
  });

  it("never writes a token, whether as a known key, a header, or inside a message", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: [token, "admin-key-42"] });
    log.info({ accessToken: token, headers: { authorization: `Bearer ${token}` } }, "sending");
    log.info({ integration: { access_token: token, app_secret: "s3cr3t-value" } }, "integration");
    log.error({ err: new Error(`Graph API refused token ${token}`) }, `failed with ${token}`);
    log.warn({ req: { headers: { "x-hub-signature-256": "sha256=abc" } }, apiKey: "admin-key-42" }, "auth");
    const out = lines.join("");
    expect(lines).toHaveLength(4);
    expect(out).not.toContain(token);
    expect(out).not.toContain("admin-key-42");
    expect(out).not.toContain("s3cr3t-value");
    expect(out).not.toContain("sha256=abc");
    expect(out).toContain("[redacted]");
  });

  it("redacts secret keys in arrays and four levels deep", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination }).child({ conversationId: "c1" });
    log.info({ items: [{ token }], a: { b: { c: { password: "hunter22" } } } }, "nested");
    const out = lines.join("");
    expect(out).not.toContain(token);
    expect(out).not.toContain("hunter22");
  });
});

describe("redactKeys", () => {
  it("copies only the objects that hold a secret; the rest is returned as is", () => {
    const clean = { id: "c1", nested: { n: 1 } };
    expect(redactKeys(clean)).toBe(clean);
    const mixed = { clean: clean.nested, headers: { Authorization: "Bearer x" } };
    const out = redactKeys(mixed) as typeof mixed;
    expect(out).toEqual({ clean: { n: 1 }, headers: { Authorization: "[redacted]" } });
    expect(out.clean).toBe(clean.nested);
    expect(mixed.headers.Authorization).toBe("Bearer x");
  });
});
