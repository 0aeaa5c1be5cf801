import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signPayload, verifySignature } from "./signature.js";

const SECRET = "app-secret-for-tests";
const bytes = (s: string) => Buffer.from(s, "utf8");

describe("verifySignature (docs/whatsapp-contract.md: Signatures)", () => {
  const body = bytes('{"object":"whatsapp_business_account","entry":[]}');

  it("accepts Meta's sha256=<lowercase hex> of the exact bytes", () => {
    const header = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    expect(signPayload(body, SECRET)).toBe(header);
    expect(verifySignature(body, header, SECRET)).toBe("ok");
    expect(verifySignature(body, header.toUpperCase().replace("SHA256=", "sha256="), SECRET)).toBe("ok");
  });

  it("reports a missing header apart from a wrong one", () => {
    expect(verifySignature(body, undefined, SECRET)).toBe("missing");
    expect(verifySignature(body, "", SECRET)).toBe("missing");
    expect(verifySignature(body, signPayload(body, "other-secret"), SECRET)).toBe("invalid");
    expect(verifySignature(bytes(`${body} `), signPayload(body, SECRET), SECRET)).toBe("invalid");
  });

  it.each([
    ["no prefix", () => createHmac("sha256", SECRET).update(body).digest("hex")],
    ["sha1 prefix", () => `sha1=${createHmac("sha1", SECRET).update(body).digest("hex")}`],
    ["truncated", () => signPayload(body, SECRET).slice(0, -2)],
    ["too long", () => `${signPayload(body, SECRET)}00`],
    ["not hex", () => `sha256=${"z".repeat(64)}`],
    ["multibyte of the same length in bytes", () => `sha256=${"é".repeat(32)}`],
  ])("rejects a malformed header (%s) without throwing", (_name, header) => {
    expect(verifySignature(body, header(), SECRET)).toBe("invalid");
  });

  it("verifies bodies with \\u escapes over the bytes, where a re-serialized body would fail", () => {
    const raw = bytes('{"text":{"body":"\\u00e4\\u00f6\\u00e5"},"x" : 1}');
    const header = signPayload(raw, SECRET);
    expect(verifySignature(raw, header, SECRET)).toBe("ok");
    const reserialized = bytes(JSON.stringify(JSON.parse(raw.toString("utf8"))));
    expect(reserialized.equals(raw)).toBe(false);
    expect(verifySignature(reserialized, header, SECRET)).toBe("invalid");
  });
});
