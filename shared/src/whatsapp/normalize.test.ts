import {
  ECHO_CASES,
  envelope,
  FIELD_CASES,
  inbound,
  MESSAGE_CASES,
  PNID,
  STATUS_CASES,
  TEMPLATE_STATUS_BODY,
  TIMESTAMP,
  VALUE_ERRORS_BODY,
  WA_ID,
  WABA_ID,
} from "@flank/testing/fixtures";
import { describe, expect, it } from "vitest";
import { assertEvent } from "../events/event.js";
import { normalizeWebhook, SYSTEM_USER, UNATTRIBUTED_TENANT } from "./normalize.js";

const RECEIVED = new Date("2026-01-02T03:04:05.000Z");

describe("normalizeWebhook: inbound messages (docs/whatsapp-contract.md: Inbound messages)", () => {
  it.each(MESSAGE_CASES)("$name", (c) => {
    const out = normalizeWebhook(c.body, { receivedAt: RECEIVED });
    expect(out.skipped).toEqual([]);
    expect(out.events).toHaveLength(1);
    const event = assertEvent(out.events[0]);
    expect(event.type).toBe("inbound.message");
    expect(event.tenant).toBe(PNID);
    expect(event.conversationId).toBe(c.conversationId);
    expect(out.dedupKeys).toEqual([c.dedupKey]);
    expect(event.data).toMatchObject(c.data);
    for (const key of c.absent ?? []) expect(event.data).not.toHaveProperty(key);
    // raw is the message exactly as Meta sent it
    const message = (c.body.entry as { changes: { value: { messages: unknown[] } }[] }[])[0]?.changes[0]
      ?.value.messages[0] as object;
    expect((event.data as { raw: unknown }).raw).toBe(message);
  });
});

describe("normalizeWebhook: statuses (docs/whatsapp-contract.md: Statuses)", () => {
  it.each(STATUS_CASES)("$name", (c) => {
    const out = normalizeWebhook(c.body);
    expect(out.skipped).toEqual([]);
    expect(out.events).toHaveLength(1);
    const event = assertEvent(out.events[0]);
    expect(event.type).toBe("inbound.status");
    expect(event.tenant).toBe(PNID);
    expect(event.conversationId).toBe(c.conversationId);
    expect(out.dedupKeys).toEqual([c.dedupKey]);
    expect(event.data).toMatchObject(c.data);
    for (const key of c.absent ?? []) expect(event.data).not.toHaveProperty(key);
  });

  it("carries a status name it does not know as `unknown` with Meta's name, never dropped", () => {
    const out = normalizeWebhook(
      envelope({
        statuses: [{ id: "wamid.x", status: "deleted", timestamp: TIMESTAMP, recipient_id: WA_ID }],
      }),
    );
    expect(out.skipped).toEqual([]);
    const event = assertEvent(out.events[0]);
    expect(event.type).toBe("inbound.status");
    expect(event.data).toMatchObject({ status: "unknown", statusName: "deleted" });
    expect(out.dedupKeys).toEqual(["wamid.x:deleted"]);
  });
});

describe("normalizeWebhook: envelope", () => {
  it("turns value.errors into one inbound.error event with a stable hash dedup key", () => {
    const a = normalizeWebhook(VALUE_ERRORS_BODY);
    const b = normalizeWebhook(structuredClone(VALUE_ERRORS_BODY));
    expect(a.events).toHaveLength(1);
    const event = assertEvent(a.events[0]);
    expect(event.type).toBe("inbound.error");
    expect(event.tenant).toBe(PNID);
    expect(event.conversationId).toBe(`${PNID}:${SYSTEM_USER}`);
    expect(event.data).toMatchObject({
      phoneNumberId: PNID,
      wabaId: WABA_ID,
      errors: [{ code: 131052, details: "Unable to download the media sent by the user." }],
    });
    expect(a.dedupKeys[0]).toMatch(/^error:[0-9a-f]{64}$/);
    expect(b.dedupKeys).toEqual(a.dedupKeys);
    const other = normalizeWebhook(envelope({ errors: [{ code: 131000, title: "Something went wrong" }] }));
    expect(other.dedupKeys[0]).not.toBe(a.dedupKeys[0]);
  });

  it("walks every entry × change and handles messages, statuses and errors of one value", () => {
    const one = inbound({ id: "wamid.A", type: "text", text: { body: "a" } });
    const value = {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550000000", phone_number_id: "200" },
      contacts: [{ profile: { name: "B" }, wa_id: "4915112345678" }],
      messages: [
        { from: "4915112345678", id: "wamid.B", timestamp: TIMESTAMP, type: "text", text: { body: "b" } },
        { from: "4915112345678", id: "wamid.C", timestamp: TIMESTAMP, type: "text", text: { body: "c" } },
      ],
      statuses: [{ id: "wamid.S", status: "read", timestamp: TIMESTAMP, recipient_id: "4915112345678" }],
      errors: [{ code: 1, title: "x" }],
    };
    const body = {
      object: "whatsapp_business_account",
      entry: [
        ...(one.entry as object[]),
        {
          id: "300",
          changes: [
            { field: "account_update", value: {} },
            { field: "messages", value },
          ],
        },
      ],
    };
    const out = normalizeWebhook(body);
    expect(out.events.map((e) => `${e.type}@${e.conversationId}`)).toEqual([
      `inbound.message@${PNID}:${WA_ID}`,
      // account_update with an empty value: nothing to read, so published whole.
      "account.update@unknown:system",
      "inbound.message@200:4915112345678",
      "inbound.message@200:4915112345678",
      "inbound.status@200:4915112345678",
      "inbound.error@200:system",
    ]);
    expect(out.dedupKeys.filter((k) => k.startsWith("wamid."))).toEqual([
      "wamid.A",
      "wamid.B",
      "wamid.C",
      "wamid.S:read",
    ]);
    expect(out.unknownFields).toEqual([]);
    for (const e of out.events) assertEvent(e);
  });

  it("publishes a template status update (no metadata) as template.update of no tenant, with its WABA", () => {
    const out = normalizeWebhook(TEMPLATE_STATUS_BODY);
    expect(out.unknownFields).toEqual([]);
    const event = assertEvent(out.events[0]);
    expect(event.type).toBe("template.update");
    expect(event.tenant).toBe(UNATTRIBUTED_TENANT);
    expect(event.data).toMatchObject({ wabaId: WABA_ID });
  });

  it("skips messages it cannot key and says why", () => {
    const out = normalizeWebhook(
      envelope({
        messages: [
          { from: WA_ID, timestamp: TIMESTAMP, type: "text", text: { body: "no id" } },
          { id: "wamid.nosender", from: "", timestamp: TIMESTAMP, type: "text", text: { body: "no sender" } },
        ],
      }),
    );
    expect(out.events).toEqual([]);
    expect(out.skipped.map((s) => s.reason)).toEqual([
      "message without id",
      "message without from or from_user_id",
    ]);
    const noMeta = normalizeWebhook({
      entry: [{ changes: [{ field: "messages", value: { messages: [{ id: "w" }] } }] }],
    });
    expect(noMeta.skipped).toEqual([
      { kind: "change", reason: "messages change without metadata.phone_number_id" },
    ]);
  });

  it("uses the receive time when Meta's timestamp is missing or not a number", () => {
    const out = normalizeWebhook(inbound({ timestamp: "soon", type: "text", text: { body: "x" } }), {
      receivedAt: RECEIVED,
    });
    expect((out.events[0]?.data as { timestamp?: string } | undefined)?.timestamp).toBe(
      RECEIVED.toISOString(),
    );
  });

  it("reads \\u escapes the same as the characters (the signature is checked on the bytes, not here)", () => {
    const raw = JSON.stringify(inbound({ type: "text", text: { body: "äöå" } })).replace(
      "äöå",
      "\\u00e4\\u00f6\\u00e5",
    );
    expect(raw).toContain("\\u00e4");
    const out = normalizeWebhook(JSON.parse(raw));
    expect((out.events[0]?.data as { text?: string } | undefined)?.text).toBe("äöå");
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["a string", "hello"],
    ["an array", [1, 2]],
    ["entry not an array", { entry: { changes: [] } }],
    ["changes not an array", { entry: [{ changes: "x" }] }],
    ["value not an object", { entry: [{ changes: [{ field: "messages", value: 7 }] }] }],
    ["messages of wrong types", envelope({ messages: [null, 5, "x", [], { id: 5, type: 9, text: 3 }] })],
    [
      "statuses of wrong types",
      envelope({ statuses: [null, { id: "w", status: 5 }], errors: [{ code: "nan" }] }),
    ],
    [
      "contacts not an array",
      envelope({ contacts: "nope", messages: [{ id: "w", from: "1", type: "text" }] }),
    ],
    ["huge timestamp", envelope({ messages: [{ id: "w", from: "1", type: "text", timestamp: "1e300" }] })],
    [
      "location with string coordinates",
      envelope({ messages: [{ id: "w", from: "1", type: "location", location: { latitude: "a" } }] }),
    ],
  ])("never throws on %s, and every event it produces is valid", (_name, payload) => {
    const out = normalizeWebhook(payload);
    for (const e of out.events) expect(() => assertEvent(e)).not.toThrow();
    expect(out.dedupKeys).toHaveLength(out.events.length);
  });
});

describe("normalizeWebhook: every other field (docs/whatsapp-contract.md: Other fields): published, never dropped", () => {
  it.each(FIELD_CASES)("$name", (c) => {
    const out = normalizeWebhook(c.body, { receivedAt: RECEIVED });
    expect(out.skipped).toEqual([]);
    expect(out.unknownFields).toEqual(c.unknownFields ?? []);
    expect(out.events.map((e) => e.type)).toEqual(c.events.map((e) => e.type));
    expect(new Set(out.dedupKeys).size).toBe(out.events.length);
    c.events.forEach((want, i) => {
      const event = assertEvent(out.events[i]);
      expect(event.conversationId).toBe(want.conversationId);
      if (want.tenant) expect(event.tenant).toBe(want.tenant);
      if (want.data) expect(event.data).toMatchObject(want.data);
    });
  });

  it("keeps Meta's object by reference in raw (one copy per event, none per step)", () => {
    const body = ECHO_CASES[0]?.body as { entry: { changes: { value: { message_echoes: object[] } }[] }[] };
    const out = normalizeWebhook(body);
    const echo = body.entry[0]?.changes[0]?.value.message_echoes[0];
    expect(echo).toBeDefined();
    const data = out.events[0]?.data as { raw: unknown } | undefined;
    expect(data?.raw).toBe(echo);
  });
});
