import { OutboundRequestData } from "@flank/shared/contract";
import { describe, expect, it } from "vitest";
import { toGraphBody } from "./graph-body.js";

const req = (message: unknown, extra: Record<string, unknown> = {}) =>
  OutboundRequestData.parse({ idempotencyKey: "k1", to: "16505551234", source: "api", message, ...extra });

const envelope = { messaging_product: "whatsapp", recipient_type: "individual", to: "+16505551234" };

describe("toGraphBody (docs/whatsapp-contract.md: Sending)", () => {
  it.each([
    ["text", { type: "text", body: "hi" }, { type: "text", text: { preview_url: false, body: "hi" } }],
    [
      "text with preview",
      { type: "text", body: "see https://x.y", previewUrl: true },
      { type: "text", text: { preview_url: true, body: "see https://x.y" } },
    ],
    [
      "image by id",
      { type: "image", id: "M1", caption: "c" },
      { type: "image", image: { id: "M1", caption: "c" } },
    ],
    [
      "video by link",
      { type: "video", link: "https://cdn.example/v.mp4" },
      { type: "video", video: { link: "https://cdn.example/v.mp4" } },
    ],
    [
      "voice note",
      { type: "audio", id: "A1", voice: true },
      { type: "audio", audio: { id: "A1", voice: true } },
    ],
    ["sticker", { type: "sticker", id: "S1" }, { type: "sticker", sticker: { id: "S1" } }],
    [
      "document",
      { type: "document", link: "https://cdn.example/a.pdf", filename: "a.pdf", caption: "doc" },
      {
        type: "document",
        document: { link: "https://cdn.example/a.pdf", caption: "doc", filename: "a.pdf" },
      },
    ],
    [
      "reaction",
      { type: "reaction", messageId: "wamid.X", emoji: "\uD83D\uDE00" },
      { type: "reaction", reaction: { message_id: "wamid.X", emoji: "\uD83D\uDE00" } },
    ],
    [
      "location",
      { type: "location", latitude: 37.44, longitude: -122.16, name: "HQ", address: "1 Way" },
      {
        type: "location",
        location: { latitude: "37.44", longitude: "-122.16", name: "HQ", address: "1 Way" },
      },
    ],
    [
      "contacts",
      { type: "contacts", contacts: [{ name: { formatted_name: "Ann" }, phones: [{ phone: "+1" }] }] },
      { type: "contacts", contacts: [{ name: { formatted_name: "Ann" }, phones: [{ phone: "+1" }] }] },
    ],
    [
      "template",
      {
        type: "template",
        name: "order_confirmation",
        language: "en_US",
        components: [{ type: "body", parameters: [{ type: "text", parameter_name: "n", text: "4" }] }],
      },
      {
        type: "template",
        template: {
          name: "order_confirmation",
          language: { code: "en_US" },
          components: [{ type: "body", parameters: [{ type: "text", parameter_name: "n", text: "4" }] }],
        },
      },
    ],
    [
      "buttons",
      { type: "buttons", body: "Pick", footer: "f", buttons: [{ id: "a", title: "A" }] },
      {
        type: "interactive",
        interactive: {
          type: "button",
          body: { text: "Pick" },
          footer: { text: "f" },
          action: { buttons: [{ type: "reply", reply: { id: "a", title: "A" } }] },
        },
      },
    ],
    [
      "list",
      {
        type: "list",
        body: "Menu",
        header: { type: "text", text: "H" },
        button: "Open",
        sections: [{ title: "S", rows: [{ id: "r1", title: "R1", description: "d" }] }],
      },
      {
        type: "interactive",
        interactive: {
          type: "list",
          header: { type: "text", text: "H" },
          body: { text: "Menu" },
          action: {
            button: "Open",
            sections: [{ title: "S", rows: [{ id: "r1", title: "R1", description: "d" }] }],
          },
        },
      },
    ],
    [
      "cta_url",
      { type: "cta_url", body: "Visit", displayText: "Go", url: "https://example.com" },
      {
        type: "interactive",
        interactive: {
          type: "cta_url",
          body: { text: "Visit" },
          action: { name: "cta_url", parameters: { display_text: "Go", url: "https://example.com" } },
        },
      },
    ],
  ])("%s", (_name, message, expected) => {
    expect(toGraphBody(req(message))).toEqual({ ...envelope, ...expected });
  });

  it("read receipt, with and without the typing indicator", () => {
    expect(toGraphBody(req({ type: "read", messageId: "wamid.IN" }))).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.IN",
    });
    expect(toGraphBody(req({ type: "read", messageId: "wamid.IN", typing: true }))).toEqual({
      messaging_product: "whatsapp",
      status: "read",
      message_id: "wamid.IN",
      typing_indicator: { type: "text" },
    });
  });

  it("quotes with context.message_id, except reactions", () => {
    expect(toGraphBody(req({ type: "text", body: "x" }, { replyTo: "wamid.Q" }))).toMatchObject({
      context: { message_id: "wamid.Q" },
    });
    expect(
      toGraphBody(req({ type: "reaction", messageId: "wamid.Q", emoji: "x" }, { replyTo: "wamid.Q" })),
    ).not.toHaveProperty("context");
  });

  it("addresses a BSUID with recipient; `to` keeps its + and wins when both are given", () => {
    const bsuid = OutboundRequestData.parse({
      idempotencyKey: "k",
      recipient: "US.13491208655302741918",
      source: "bot",
      message: { type: "text", body: "x" },
    });
    const body = toGraphBody(bsuid);
    expect(body.recipient).toBe("US.13491208655302741918");
    expect(body).not.toHaveProperty("to");
    const both = toGraphBody(req({ type: "text", body: "x" }, { to: "+441234", recipient: "US.1" }));
    expect(both.to).toBe("+441234");
    expect(both).not.toHaveProperty("recipient");
  });

  it("passes biz_opaque_callback_data through", () => {
    expect(toGraphBody(req({ type: "text", body: "x" }, { bizOpaqueCallbackData: "cb" }))).toMatchObject({
      biz_opaque_callback_data: "cb",
    });
  });

  it("sends to a group with Meta's group recipient form, the group id as is", () => {
    const body = toGraphBody(
      req({ type: "text", body: "hi all" }, { to: "Y2FwaV9ncm91cDox", recipientType: "group" }),
    );
    expect(body).toMatchObject({ recipient_type: "group", to: "Y2FwaV9ncm91cDox", type: "text" });
    expect(toGraphBody(req({ type: "text", body: "x" }, { to: "441234" }))).toMatchObject({
      recipient_type: "individual",
      to: "+441234",
    });
  });
});
